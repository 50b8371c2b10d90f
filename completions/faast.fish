function __faast_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __faast_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __faast_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __faast_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __faast_parse_tokens -S
    set -l unparsed_tokens (__faast_tokens -pc)
    # faast: faast WORDS completes like faast open WORDS (the default subcommand) unless WORDS starts with a subcommand.
    if test (count $unparsed_tokens) -ge 2; and not contains -- $unparsed_tokens[2] open run cleanup package sessions attach help
        set unparsed_tokens $unparsed_tokens[1] open $unparsed_tokens[2..]
    end
    switch $unparsed_tokens[1]
    case 'faast'
        __faast_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'open'
            __faast_parse_subcommand 2 'c=+' 'provider=' 'memory=' 'timeout=' 'concurrency=' 'mode=' 'env=+' 'format=' 'dependencies=' 'echo' 'continue-on-error' 'keep' 'v=+' 'norc' 'session=' 'version' 'h/help'
        case 'run'
            __faast_parse_subcommand 2 'provider=' 'memory=' 'timeout=' 'concurrency=' 'mode=' 'env=+' 'format=' 'dependencies=' 'echo' 'continue-on-error' 'keep' 'v=+' 'norc' 'session=' 'version' 'h/help'
        case 'cleanup'
            __faast_parse_subcommand 1 'region=' 'execute' 'force' 'version' 'h/help'
        case 'package'
            __faast_parse_subcommand 1 'o/output=' 'dependencies=' 'include=+' 'exclude=+' 'architecture=' 'format=' 'version' 'h/help'
        case 'sessions'
            __faast_parse_subcommand 0 'version' 'h/help'
        case 'attach'
            __faast_parse_subcommand 1 'c=+' 'provider=' 'memory=' 'timeout=' 'concurrency=' 'mode=' 'env=+' 'format=' 'dependencies=' 'echo' 'continue-on-error' 'keep' 'v=+' 'norc' 'session=' 'version' 'h/help'
        case 'help'
            __faast_parse_subcommand -r 1 'version'
        end
    end
end

function __faast_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __faast_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __faast_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __faast_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__faast_tokens -p)
    if test -z "$(__faast_tokens -t)"
        set -l index (count (__faast_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'faast' -f
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'open' -d 'Open a session on a module: the prompt, -c commands, a script, or commands on standard input.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'run' -d 'Run a .faast script.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'cleanup' -d 'List (and with --execute, delete) what faast sessions left on a provider.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'package' -d 'List what a deploy to AWS Lambda would ship: files, sizes, the dependencies layer; -o writes the zip.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'sessions' -d 'List kept sessions (--keep): provider, region, module, code hash, age, last use, state.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'attach' -d 'Re-attach a kept session (see faast sessions) and start the prompt.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast open" -eq 1' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\' \'faast\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast open" -eq 2' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open"' -s 'c' -d 'A command to run (repeatable); then exit.' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" provider' -l 'provider' -d 'Where the module runs.' -rfka 'local aws'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" memory' -l 'memory' -d 'Memory of each function (locally a heap or address-space limit) (a whole number of MB from 64 to 10,240; default 1024).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" timeout' -l 'timeout' -d 'A call fails as timeout after this long (seconds above 0 and up to 86,400; default 60).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" concurrency' -l 'concurrency' -d 'Calls in flight at once (0: unlimited) (a whole number of calls from 0 to 100,000; default 10).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" mode' -l 'mode' -d 'How calls travel: a direct request, or through a queue (https or queue; default https).' -rfka 'https queue'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open"' -l 'env' -d 'An environment variable for the functions (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" format' -l 'format' -d 'Output for people, or one JSON object per command (text or json; default text).' -rfka 'text json'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" dependencies' -l 'dependencies' -d 'A requirements.txt or package.json (next to the module) installed into a cached layer, and locally.' -rF
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" echo' -l 'echo' -d 'Print each command before running it.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" continue-on-error' -l 'continue-on-error' -d 'Go on after a failed call or expect (the exit code still says 1).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" keep' -l 'keep' -d 'Leave the deployment up on exit, recorded for `faast attach` (AWS: `faast sessions` lists them).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open"' -s 'v' -d 'Set $NAME to VALUE (a JSON value, else text) before anything runs (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" norc' -l 'norc' -d 'Do not run the startup file ($XDG_CONFIG_HOME/faast/faastrc).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" session' -l 'session' -d 'Attach a kept AWS session instead of deploying (see `faast sessions`).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast open" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast run" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'faast\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast run" -eq 2' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" provider' -l 'provider' -d 'Where the module runs.' -rfka 'local aws'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" memory' -l 'memory' -d 'Memory of each function (locally a heap or address-space limit) (a whole number of MB from 64 to 10,240; default 1024).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" timeout' -l 'timeout' -d 'A call fails as timeout after this long (seconds above 0 and up to 86,400; default 60).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" concurrency' -l 'concurrency' -d 'Calls in flight at once (0: unlimited) (a whole number of calls from 0 to 100,000; default 10).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" mode' -l 'mode' -d 'How calls travel: a direct request, or through a queue (https or queue; default https).' -rfka 'https queue'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run"' -l 'env' -d 'An environment variable for the functions (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" format' -l 'format' -d 'Output for people, or one JSON object per command (text or json; default text).' -rfka 'text json'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" dependencies' -l 'dependencies' -d 'A requirements.txt or package.json (next to the module) installed into a cached layer, and locally.' -rF
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" echo' -l 'echo' -d 'Print each command before running it.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" continue-on-error' -l 'continue-on-error' -d 'Go on after a failed call or expect (the exit code still says 1).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" keep' -l 'keep' -d 'Leave the deployment up on exit, recorded for `faast attach` (AWS: `faast sessions` lists them).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run"' -s 'v' -d 'Set $NAME to VALUE (a JSON value, else text) before anything runs (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" norc' -l 'norc' -d 'Do not run the startup file ($XDG_CONFIG_HOME/faast/faastrc).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" session' -l 'session' -d 'Attach a kept AWS session instead of deploying (see `faast sessions`).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast cleanup" -eq 1' -fka 'local aws'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast cleanup" region' -l 'region' -d 'The AWS region.' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast cleanup" execute' -l 'execute' -d 'Delete what is listed.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast cleanup" force' -l 'force' -d 'Do not ask for confirmation.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast cleanup" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast cleanup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast package" -eq 1' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" o output' -l 'output' -s 'o' -d 'Write the code package to this zip file.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'zip\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" dependencies' -l 'dependencies' -d 'A requirements.txt or package.json, relative to the module\'s folder.' -rF
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package"' -l 'include' -d 'Glob of extra files, relative to the module\'s folder (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package"' -l 'exclude' -d 'Glob of files to leave out (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" architecture' -l 'architecture' -d 'The function\'s architecture.' -rfka 'x86_64 arm64'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" format' -l 'format' -d 'text, or one JSON object.' -rfka 'text json'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast package" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast sessions" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast sessions" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach"' -s 'c' -d 'A command to run (repeatable); then exit.' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" provider' -l 'provider' -d 'Where the module runs.' -rfka 'local aws'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" memory' -l 'memory' -d 'Memory of each function (locally a heap or address-space limit) (a whole number of MB from 64 to 10,240; default 1024).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" timeout' -l 'timeout' -d 'A call fails as timeout after this long (seconds above 0 and up to 86,400; default 60).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" concurrency' -l 'concurrency' -d 'Calls in flight at once (0: unlimited) (a whole number of calls from 0 to 100,000; default 10).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" mode' -l 'mode' -d 'How calls travel: a direct request, or through a queue (https or queue; default https).' -rfka 'https queue'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach"' -l 'env' -d 'An environment variable for the functions (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" format' -l 'format' -d 'Output for people, or one JSON object per command (text or json; default text).' -rfka 'text json'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" dependencies' -l 'dependencies' -d 'A requirements.txt or package.json (next to the module) installed into a cached layer, and locally.' -rF
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" echo' -l 'echo' -d 'Print each command before running it.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" continue-on-error' -l 'continue-on-error' -d 'Go on after a failed call or expect (the exit code still says 1).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" keep' -l 'keep' -d 'Leave the deployment up on exit, recorded for `faast attach` (AWS: `faast sessions` lists them).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach"' -s 'v' -d 'Set $NAME to VALUE (a JSON value, else text) before anything runs (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" norc' -l 'norc' -d 'Do not run the startup file ($XDG_CONFIG_HOME/faast/faastrc).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" session' -l 'session' -d 'Attach a kept AWS session instead of deploying (see `faast sessions`).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" version' -l 'version' -d 'Show the version.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast attach" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast help" version' -l 'version' -d 'Show the version.'

# faast: the first word also completes like faast open's first word.
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 1' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\' \'faast\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_positional "faast" -eq 2' -fa '(set -l exts \'js\' \'cjs\' \'mjs\' \'py\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast"' -s 'c' -d 'A command to run (repeatable); then exit.' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" provider' -l 'provider' -d 'Where the module runs.' -rfka 'local aws'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" memory' -l 'memory' -d 'Memory of each function (locally a heap or address-space limit) (a whole number of MB from 64 to 10,240; default 1024).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" timeout' -l 'timeout' -d 'A call fails as timeout after this long (seconds above 0 and up to 86,400; default 60).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" concurrency' -l 'concurrency' -d 'Calls in flight at once (0: unlimited) (a whole number of calls from 0 to 100,000; default 10).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" mode' -l 'mode' -d 'How calls travel: a direct request, or through a queue (https or queue; default https).' -rfka 'https queue'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast"' -l 'env' -d 'An environment variable for the functions (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" format' -l 'format' -d 'Output for people, or one JSON object per command (text or json; default text).' -rfka 'text json'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" dependencies' -l 'dependencies' -d 'A requirements.txt or package.json (next to the module) installed into a cached layer, and locally.' -rF
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" echo' -l 'echo' -d 'Print each command before running it.'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" continue-on-error' -l 'continue-on-error' -d 'Go on after a failed call or expect (the exit code still says 1).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" keep' -l 'keep' -d 'Leave the deployment up on exit, recorded for `faast attach` (AWS: `faast sessions` lists them).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast"' -s 'v' -d 'Set $NAME to VALUE (a JSON value, else text) before anything runs (repeatable).' -rfka ''
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" norc' -l 'norc' -d 'Do not run the startup file ($XDG_CONFIG_HOME/faast/faastrc).'
complete -c 'faast' -n '__faast_should_offer_completions_for_flags_or_options "faast" session' -l 'session' -d 'Attach a kept AWS session instead of deploying (see `faast sessions`).' -rfka ''
