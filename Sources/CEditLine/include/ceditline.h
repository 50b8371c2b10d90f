#ifndef CEDITLINE_H
#define CEDITLINE_H
#include <stddef.h>
#include <stdio.h>
#include <editline/readline.h>

/// Setters and getters for libedit's readline globals (Swift 6 cannot assign imported mutable globals).
/// Initializes libedit with `getc` as its input function (set before rl_initialize, as libedit requires).
void faast_el_configure(rl_completion_func_t *completion, const char *word_breaks, int (*getc)(FILE *));
const char *faast_el_line_buffer(void);
int faast_el_point(void);
/// Clears the line being edited after Ctrl-C and starts a fresh prompt.
void faast_el_interrupt_line(void);
#endif
#ifndef CEDITLINE_EXTRA
#define CEDITLINE_EXTRA
/// Per-completion settings: no filename fallback, and the character appended after a single match.
void faast_el_completion_settings(int append_character);
/// The columns a character takes on the terminal in the current locale (-1: not printable). Glibc declares
/// wcwidth only for _XOPEN_SOURCE, which Swift's Glibc module does not see.
int faast_el_wcwidth(unsigned int code_point);
/// Whether Ctrl-D was typed on an empty line since the last call (then the prompt ends: end of input).
int faast_el_take_eof(void);
/// Call after installing the prompt: the line is empty until a key says otherwise.
void faast_el_prompt_shown(void);
/// Runs `sh -c command` with `text` on its standard input, in the terminal's foreground process group, and
/// waits for it; -1 when it could not be started or its command was not found (exit 126/127).
int faast_el_run_pager(const char *command, const char *text, size_t length);
#endif
