#include "ceditline.h"
#include <string.h>

static char word_breaks_storage[64];

void faast_el_configure(rl_completion_func_t *completion, const char *word_breaks, int (*getc)(FILE *)) {
    rl_getc_function = getc;
    rl_initialize();
    rl_catch_signals = 0;  // faast handles SIGINT itself
    rl_attempted_completion_function = completion;
    strncpy(word_breaks_storage, word_breaks, sizeof word_breaks_storage - 1);
    rl_completer_word_break_characters = word_breaks_storage;
    rl_completion_append_character = ' ';
    // Ctrl-R: incremental search back through history (libedit binds it to redisplay by default).
    rl_parse_and_bind("bind ^R em-inc-search-prev");
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
