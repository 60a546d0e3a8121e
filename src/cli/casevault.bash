# bash completion for casevault(1).  Installed as
# $(PREFIX)/share/bash-completion/completions/casevault; or source it.
#
# The program answers itself ('casevault __complete WORD...', complete.c):
# commands, sub-commands, options, fixed values, file names where a file
# is wanted, and case ids only while the user's unlock agent runs.  It
# never asks for a passphrase and gives up after two seconds.

_casevault()
{
	local i w cur pre file join=0 n=0
	local -a line answer

	# The words up to the cursor, with what COMP_WORDBREAKS split at '='
	# joined again (--kind=session).
	for ((i = 1; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((n > 0)) && [[ $w == "=" && ${line[n - 1]} == -* ]]; then
			line[n - 1]+="="
			join=1
		elif ((join)); then
			line[n - 1]+=$w
			join=0
		else
			line[n++]=$w
		fi
	done
	((n > 0)) || line[n++]=""
	cur=${line[n - 1]}

	mapfile -t answer < <("${COMP_WORDS[0]}" __complete "${line[@]}" 2>/dev/null)
	case ${answer[0]-} in
	:words) answer=("${answer[@]:1}") ;;
	:files)
		pre= file=$cur
		if [[ $cur == --*=* ]]; then
			pre=${cur%%=*}= file=${cur#*=}
		fi
		compopt -o filenames 2>/dev/null
		mapfile -t answer < <(compgen -f -- "$file")
		answer=("${answer[@]/#/$pre}")
		;;
	*) answer=() ;;
	esac

	# Readline replaces only what follows the last word break in the
	# word ('=' and ':' by default): the candidates lose what precedes it.
	pre=
	if [[ $COMP_WORDBREAKS == *=* && $cur == *=* ]]; then
		pre=${cur%"${cur##*=}"}
	fi
	if [[ $COMP_WORDBREAKS == *:* && ${cur#"$pre"} == *:* ]]; then
		pre=${cur%"${cur##*:}"}
	fi
	COMPREPLY=("${answer[@]#"$pre"}")
}

complete -F _casevault casevault
