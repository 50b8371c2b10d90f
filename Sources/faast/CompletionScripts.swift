import ArgumentParser
import Foundation

/// ArgumentParser's completion scripts do not know about default subcommands: with `open` as faast's default,
/// `faast --provider <Tab>` offered subcommand names and `faast <Tab>` no files. These patches make
/// `faast WORDS` complete like `faast open WORDS` unless WORDS starts with a subcommand; the first word
/// is completed with both the subcommand names and what `open` takes.
enum CompletionScripts {
    /// The generated `script` for `shell`, patched; unpatched (with a warning) when the generator's output
    /// no longer looks as expected.
    static func patched(_ script: String, for shell: CompletionShell) -> String {
        let subcommands = Faast.configuration.subcommands.map { $0._commandName } + ["help"]
        let defaultName = Faast.configuration.defaultSubcommand?._commandName ?? "open"
        let command = Faast.configuration.commandName ?? "faast"
        let result: String?
        switch shell {
        case .bash: result = bash(script, command: command, subcommands: subcommands, defaultName: defaultName)
        case .zsh: result = zsh(script, command: command, subcommands: subcommands, defaultName: defaultName)
        case .fish: result = fish(script, command: command, subcommands: subcommands, defaultName: defaultName)
        default: result = script
        }
        guard let result else {
            FileHandle.standardError.write(Data("warning: could not teach the \(shell.rawValue) completion script the default subcommand '\(defaultName)'\n".utf8))
            return script
        }
        return result
    }

    private static func bash(_ script: String, command: String, subcommands: [String], defaultName: String) -> String? {
        let registration = "complete -o filenames -F _\(command) \(command)"
        guard script.contains("\n_\(command)() {\n"), script.hasSuffix(registration + "\n") || script.hasSuffix(registration) else {
            return nil
        }
        let names = subcommands.joined(separator: "|")
        let shim = """
            # faast: \(command) WORDS completes like \(command) \(defaultName) WORDS (the default subcommand) unless WORDS starts with a subcommand.
            _\(command)_default_subcommand() {
                case "${COMP_WORDS[1]}" in
                \(names))
                    if [[ "${COMP_CWORD}" -gt 1 ]]; then
                        _\(command) "${@}"
                        return
                    fi
                    ;;
                esac
                local -a COMP_WORDS=("${COMP_WORDS[0]}" \(defaultName) "${COMP_WORDS[@]:1}")
                local -i COMP_CWORD=$((COMP_CWORD + 1))
                local COMP_LINE="${COMP_WORDS[0]} \(defaultName)${COMP_LINE#*"${COMP_WORDS[0]}"}"
                local -i COMP_POINT=$((COMP_POINT + \(defaultName.utf8.count + 1)))
                _\(command) "${1}" "${2}" "${COMP_WORDS[COMP_CWORD - 1]}"
                if [[ "${COMP_CWORD}" -eq 2 && "${2}" != -* ]]; then
                    COMPREPLY+=($(compgen -W '\(subcommands.joined(separator: " "))' -- "${2}"))
                fi
            }

            complete -o filenames -F _\(command)_default_subcommand \(command)

            """
        let body = script.hasSuffix("\n") ? String(script.dropLast(registration.count + 1)) : String(script.dropLast(registration.count))
        return body + shim
    }

    private static func zsh(_ script: String, command: String, subcommands: [String], defaultName: String) -> String? {
        let root = "\n_\(command)() {\n"
        let tail = "if [[ \"${funcstack[1]}\" = _\(command) ]]; then"
        guard script.components(separatedBy: root).count == 2, script.components(separatedBy: tail).count == 2 else { return nil }
        let shim = """
            # faast: \(command) WORDS completes like \(command) \(defaultName) WORDS (the default subcommand) unless WORDS starts with a subcommand.
            _\(command)() {
                local -i ret=1
                if (( CURRENT > 2 )) && [[ "${words[2]}" = (\(subcommands.joined(separator: "|"))) ]]; then
                    _\(command)_commands "${@}"
                    return
                fi
                if (( CURRENT == 2 )) && [[ "${PREFIX}" != -* ]]; then
                    _\(command)_commands "${@}" && ret=0
                fi
                local -a saved_words=("${words[@]}")
                words=("${words[1]}" \(defaultName) "${(@)words[2,-1]}")
                (( CURRENT++ ))
                _\(command)_commands "${@}" && ret=0
                words=("${saved_words[@]}")
                (( CURRENT-- ))
                return ret
            }


            """
        return script
            .replacingOccurrences(of: root, with: "\n_\(command)_commands() {\n")
            .replacingOccurrences(of: tail, with: shim + tail)
    }

    private static func fish(_ script: String, command: String, subcommands: [String], defaultName: String) -> String? {
        let tokens = "    set -l unparsed_tokens (__\(command)_tokens -pc)\n"
        guard script.components(separatedBy: tokens).count == 2 else { return nil }
        let insert = tokens + """
                # faast: \(command) WORDS completes like \(command) \(defaultName) WORDS (the default subcommand) unless WORDS starts with a subcommand.
                if test (count $unparsed_tokens) -ge 2; and not contains -- $unparsed_tokens[2] \(subcommands.joined(separator: " "))
                    set unparsed_tokens $unparsed_tokens[1] \(defaultName) $unparsed_tokens[2..]
                end

            """
        var lines: [String] = []
        let defaultCondition = "\"\(command) \(defaultName)\""
        let rootFlags = ["-l 'version'", "-s 'h' -l 'help'"]
        var copies: [String] = []
        for line in script.replacingOccurrences(of: tokens, with: insert).split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(String(line))
            // While only the command name is complete, offer what the default subcommand takes too.
            if line.hasPrefix("complete "), line.contains(defaultCondition), !rootFlags.contains(where: { line.contains($0) }) {
                copies.append(line.replacingOccurrences(of: defaultCondition, with: "\"\(command)\""))
            }
        }
        guard !copies.isEmpty else { return nil }
        while lines.last == "" { lines.removeLast() }
        return (lines + ["", "# faast: the first word also completes like \(command) \(defaultName)'s first word."] + copies).joined(separator: "\n") + "\n"
    }
}
