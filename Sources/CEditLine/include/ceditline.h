#ifndef CEDITLINE_H
#define CEDITLINE_H
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
#endif
