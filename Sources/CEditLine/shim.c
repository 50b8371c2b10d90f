#define _GNU_SOURCE  // wcwidth, pipe2
#include "ceditline.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

extern char **environ;

static char word_breaks_storage[64];
static int (*byte_getc)(FILE *);
/// A byte read while decoding a sequence that turned out not to belong to it: the next key.
static int pending_byte = -1;
/// Set when Ctrl-D was typed on an empty line: the prompt ends there. Handled here rather than by libedit,
/// which in its one-key-at-a-time (unbuffered) mode puts a literal ^D into the line and shows it.
static int eof_typed = 0;
/// No key read since the prompt was shown: rl_end still measures the previous line until libedit's
/// callback updates it after the first key.
static int fresh_prompt = 0;

void faast_el_prompt_shown(void) { fresh_prompt = 1; }

/// libedit's readline layer stores whatever rl_getc_function returns as ONE wide character (`*c = (wchar_t)i`),
/// so a getc that hands over bytes turns each byte of a UTF-8 sequence into a Latin-1 character ("é" became
/// "Ã©"). This hook decodes UTF-8 and returns whole code points, which libedit then edits as characters
/// (cursor movement by character, widths by wcwidth) and encodes back to UTF-8 for the line it returns.
/// Malformed input becomes U+FFFD, as a UTF-8 decoder must; -1 (a pending signal) passes through.
static int utf8_getc(FILE *stream) {
    int c = pending_byte >= 0 ? pending_byte : byte_getc(stream);
    pending_byte = -1;
    int empty = fresh_prompt || rl_end == 0;
    fresh_prompt = 0;
    if (c == 4 && empty) {
        eof_typed = 1;
        return -1;  // ends libedit's read of this key, as a pending signal does
    }
    if (c < 0x80) return c;
    int need;
    unsigned int cp, min;
    if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return 0xFFFD;  // a continuation byte without a lead, or a byte UTF-8 never uses
    for (int i = 0; i < need; i++) {
        int b = byte_getc(stream);
        if (b < 0) return b;  // interrupted: the line is cleared anyway
        if ((b & 0xC0) != 0x80) {
            pending_byte = b;  // the sequence was cut short; b starts the next key
            return 0xFFFD;
        }
        cp = (cp << 6) | (unsigned int)(b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return (int)cp;
}

void faast_el_configure(rl_completion_func_t *completion, const char *word_breaks, int (*getc)(FILE *)) {
    byte_getc = getc;
    rl_getc_function = utf8_getc;
    // The prompt and the line being edited go to the terminal: to stderr when standard output is redirected
    // (`faast mod.js > out.txt`), as bash does, so that the file gets only the results. On a redirected stdout
    // libedit could not edit, and no typed line ever reached faast.
    if (!isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) rl_outstream = stderr;
    rl_initialize();
    rl_catch_signals = 0;  // faast handles SIGINT itself
    rl_attempted_completion_function = completion;
    strncpy(word_breaks_storage, word_breaks, sizeof word_breaks_storage - 1);
    // libedit's rl_complete splits words at rl_basic_word_break_characters (and treats the same set as
    // "special prefixes"); rl_completer_word_break_characters is never read. Its default set breaks at '$',
    // which made `$f` a word `f` and the completion `$foo` land after the `$`: `$$foo`.
    rl_basic_word_break_characters = word_breaks_storage;
    rl_completer_word_break_characters = word_breaks_storage;
    rl_completion_append_character = ' ';
    // Ctrl-R: incremental search back through history (libedit binds it to redisplay by default).
    rl_parse_and_bind("bind ^R em-inc-search-prev");
    // Up/Down: the previous/next entry that starts with what is typed before the cursor (fish, psql's
    // history-search-backward); on an empty line, every entry.
    // Bound as the keys' sequences (ESC is written as itself, which the tokenizer passes through): libedit's
    // `bind -k up` changes its arrow table without rebinding the keys. Both the normal (ESC [) and the
    // application-keypad (ESC O) forms.
    rl_parse_and_bind("bind \033[A ed-search-prev-history");
    rl_parse_and_bind("bind \033OA ed-search-prev-history");
    rl_parse_and_bind("bind \033[B ed-search-next-history");
    rl_parse_and_bind("bind \033OB ed-search-next-history");
}


int faast_el_take_eof(void) {
    int typed = eof_typed;
    eof_typed = 0;
    return typed;
}

const char *faast_el_line_buffer(void) { return rl_line_buffer ? rl_line_buffer : ""; }
int faast_el_point(void) { return rl_point; }

void faast_el_interrupt_line(void) {
    rl_replace_line("", 0);
    rl_point = 0;
    rl_end = 0;
}

void faast_el_completion_settings(int append_character) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = append_character;
}

int faast_el_wcwidth(unsigned int code_point) { return wcwidth((wchar_t)code_point); }

int faast_el_run_pager(const char *command, const char *text, size_t length) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Default dispositions (faast ignores SIGPIPE and catches SIGINT) and no blocked signals for the pager;
    // and, unlike Foundation's Process, no process group of its own: the pager must stay in the terminal's
    // foreground group, or its first read of the terminal stops it (SIGTTIN).
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    char *const argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid;
    int spawned = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(fds[0]);
    if (spawned != 0) {
        close(fds[1]);
        return -1;
    }
    size_t done = 0;
    while (done < length) {
        ssize_t n = write(fds[1], text + done, length - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the pager quit early (EPIPE: SIGPIPE is ignored in faast)
        done += (size_t)n;
    }
    close(fds[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    // The shell's "command not found" / "cannot execute": the pager never showed the text.
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126)) return -1;
    return 0;
}
