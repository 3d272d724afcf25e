/*
 * cnorch help [COMMAND] [--man] and cnorch completion bash|zsh: the
 * help, a man page and shell completion, all made from the descriptors.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "error.h"

struct help_opts {
	bool		 man;
};

/* roff needs a leading '.' or '\' escaped, and '-' as \- in options. */
static void
roff(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

static void
man_page(FILE *fp)
{
	const struct cmd_entry *const *c;
	const struct cmd_opt *o;

	fprintf(fp, ".TH CNORCH 1\n.SH NAME\ncnorch \\- set up rented GPU "
	    "boxes and pull model weights onto them\n.SH SYNOPSIS\n.B "
	    "cnorch\n[\\-i INVENTORY] [\\-\\-forks N] [\\-\\-json] [\\-q|\\-v] "
	    "COMMAND [TARGET] [ARGS]\n.SH COMMANDS\n");
	for (c = cmd_table; *c != NULL; c++) {
		fprintf(fp, ".TP\n.B ");
		roff(fp, (*c)->synopsis);
		fprintf(fp, "\n");
		roff(fp, (*c)->summary != NULL ? (*c)->summary : "");
		fprintf(fp, "\n");
		for (o = (*c)->opts; o != NULL && o->name != NULL; o++) {
			fprintf(fp, ".RS\n.TP\n.B \\-\\-");
			roff(fp, o->name);
			fprintf(fp, "\n");
			roff(fp, o->help != NULL ? o->help : "");
			fprintf(fp, "\n.RE\n");
		}
	}
	fprintf(fp, ".SH EXIT STATUS\n0 ok, 1 a remote step failed, 2 usage "
	    "or inventory, 3 a host could not be reached (3 wins over 1).\n");
}

static int
help_exec(struct cmd_run *run)
{
	const struct cmd_entry *const *c, *e;

	if (((struct help_opts *)run->opts)->man) {
		man_page(stdout);
		return CN_OK;
	}
	if (run->nargs > 0) {
		if ((e = cmd_find(run->args[0])) == NULL) {
			fprintf(stderr, "error: '%s' is not a cnorch command\n",
			    run->args[0]);
			return CN_ERR_USAGE;
		}
		cmd_usage(e, stdout, true);
		return CN_OK;
	}
	for (c = cmd_table; *c != NULL; c++)
		printf("   %-10s %s\n", (*c)->name, (*c)->summary != NULL ?
		    (*c)->summary : "");
	return CN_OK;
}

/* Every command's long options, as one shell word list. */
static void
words(FILE *fp, const struct cmd_entry *e)
{
	const struct cmd_opt *o;

	for (o = e->opts; o != NULL && o->name != NULL; o++)
		fprintf(fp, " --%s", o->name);
	fprintf(fp, " --help");
}

/* The options that take the next word as their value: it is no TARGET. */
static void
value_opts(FILE *fp, const struct cmd_entry *e)
{
	const struct cmd_opt *o;

	for (o = e->opts; o != NULL && o->name != NULL; o++) {
		if (o->kind == CMD_OPT_FLAG || o->kind == CMD_OPT_JSON ||
		    o->kind == CMD_OPT_OPTSTRING)
			continue;
		fprintf(fp, " --%s", o->name);
		if (o->short_name != 0)
			fprintf(fp, " -%c", o->short_name);
	}
}

/*
 * Both scripts find the command past the global options (keeping a typed
 * -i FILE), then offer `cnorch -i FILE hosts --names` (hosts, groups,
 * all) for the first positional word of a command that takes a TARGET,
 * and the command's options otherwise.  After a comma the word completes
 * as the next term of a TARGET list.
 */
static void
bash_completion(FILE *fp)
{
	const struct cmd_entry *const *c;

	fprintf(fp, "# cnorch completion for bash: eval \"$(cnorch "
	    "completion bash)\"\n_cnorch() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} i w cmd= ci=0 npos=0\n"
	    "\tlocal opts= vals= takes= pre= inv=()\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t-i|--inventory) ((i++))\n"
	    "\t\t\tinv=(-i \"${COMP_WORDS[i]/#\\~/$HOME}\") ;;\n"
	    "\t\t--inventory=*) inv=(-i \"${COMP_WORDS[i]#*=}\") ;;\n"
	    "\t\t--forks) ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) cmd=${COMP_WORDS[i]}; ci=$i; break ;;\n"
	    "\t\tesac\n\tdone\n"
	    "\tif [ -z \"$cmd\" ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"");
	for (c = cmd_table; *c != NULL; c++)
		fprintf(fp, "%s%s", c == cmd_table ? "" : " ", (*c)->name);
	fprintf(fp, " --inventory --forks --json --quiet --verbose --help "
	    "--version\" -- \"$cur\"))\n\t\treturn\n\tfi\n"
	    "\tcase $cmd in\n");
	for (c = cmd_table; *c != NULL; c++) {
		fprintf(fp, "\t%s) opts=\"", (*c)->name);
		words(fp, *c);
		fprintf(fp, "\"");
		if ((*c)->target != CMD_TARGET_NONE) {
			fprintf(fp, " takes=1 vals=\"");
			value_opts(fp, *c);
			fprintf(fp, " \"");
		}
		fprintf(fp, " ;;\n");
	}
	fprintf(fp, "\tesac\n"
	    "\tif [ -n \"$takes\" ] && [[ $cur != -* ]]; then\n"
	    "\t\tfor ((i = ci + 1; i < COMP_CWORD; i++)); do\n"
	    "\t\t\tw=${COMP_WORDS[i]}\n"
	    "\t\t\tif [[ \"$vals\" == *\" $w \"* ]]; then ((i++))\n"
	    "\t\t\telif [[ $w != -* ]]; then ((npos++)); fi\n"
	    "\t\tdone\n"
	    "\t\tif ((npos == 0)); then\n"
	    "\t\t\t[[ $cur == *,* ]] && pre=${cur%%,*}, cur=${cur##*,}\n"
	    "\t\t\tCOMPREPLY=($(compgen -P \"$pre\" -W \"$(\"${COMP_WORDS[0]/#\\~/$HOME}\" "
	    "\"${inv[@]}\" hosts --names 2>/dev/null)\" -- \"$cur\"))\n"
	    "\t\t\treturn\n\t\tfi\n\tfi\n"
	    "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	    "}\ncomplete -o default -F _cnorch cnorch\n");
}

static void
zsh_completion(FILE *fp)
{
	const struct cmd_entry *const *c;

	fprintf(fp, "#compdef cnorch\n# cnorch completion for zsh: "
	    "eval \"$(cnorch completion zsh)\"\n_cnorch() {\n"
	    "\tlocal -a cmds opts inv\n\tlocal i w cmd= ci=0 npos=0 vals= "
	    "takes= pre=\n\tcmds=(\n");
	for (c = cmd_table; *c != NULL; c++)
		fprintf(fp, "\t\t'%s:%s'\n", (*c)->name, (*c)->summary !=
		    NULL && strchr((*c)->summary, '\'') == NULL ?
		    (*c)->summary : "");
	fprintf(fp, "\t)\n"
	    "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	    "\t\tcase $words[i] in\n"
	    "\t\t-i|--inventory) ((i++))\n"
	    "\t\t\tinv=(-i \"${words[i]/#\\~/$HOME}\") ;;\n"
	    "\t\t--inventory=*) inv=(-i \"${words[i]#*=}\") ;;\n"
	    "\t\t--forks) ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) cmd=$words[i]; ci=$i; break ;;\n"
	    "\t\tesac\n\tdone\n"
	    "\tif [[ -z $cmd ]]; then\n"
	    "\t\t_describe command cmds\n\t\treturn\n\tfi\n"
	    "\tcase $cmd in\n");
	for (c = cmd_table; *c != NULL; c++) {
		fprintf(fp, "\t%s) opts=(", (*c)->name);
		words(fp, *c);
		fprintf(fp, " )");
		if ((*c)->target != CMD_TARGET_NONE) {
			fprintf(fp, "; takes=1; vals=\"");
			value_opts(fp, *c);
			fprintf(fp, " \"");
		}
		fprintf(fp, " ;;\n");
	}
	fprintf(fp, "\tesac\n"
	    "\tif [[ -n $takes && $PREFIX != -* ]]; then\n"
	    "\t\tfor ((i = ci + 1; i < CURRENT; i++)); do\n"
	    "\t\t\tw=$words[i]\n"
	    "\t\t\tif [[ \"$vals\" == *\" $w \"* ]]; then ((i++))\n"
	    "\t\t\telif [[ $w != -* ]]; then ((npos++)); fi\n"
	    "\t\tdone\n"
	    "\t\tif ((npos == 0)); then\n"
	    "\t\t\tcompset -P '*,'\n"
	    "\t\t\tcompadd -- ${(f)\"$(\"${words[1]/#\\~/$HOME}\" "
	    "\"${inv[@]}\" hosts --names 2>/dev/null)\"}\n"
	    "\t\t\treturn\n\t\tfi\n\tfi\n"
	    "\tcompadd -- $opts\n"
	    "}\nif (( $+functions[compdef] )); then\n"
	    "\tcompdef _cnorch cnorch\nfi\n");
}

static int
completion_check(struct cmd_run *run, char **msg)
{
	if (strcmp(run->args[0], "bash") != 0 &&
	    strcmp(run->args[0], "zsh") != 0) {
		if (asprintf(msg, "completion: expected bash or zsh, got "
		    "'%s'", run->args[0]) < 0)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	return CN_OK;
}

static int
completion_exec(struct cmd_run *run)
{
	if (strcmp(run->args[0], "bash") == 0)
		bash_completion(stdout);
	else
		zsh_completion(stdout);
	return CN_OK;
}

static const struct cmd_opt help_opts_table[] = {
	{ .name = "man", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct help_opts, man),
	  .help = "the man page (roff) of every command" },
	{ .name = NULL }
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.synopsis = "help [COMMAND] [--man]",
	.summary = "Say what each command does, or COMMAND's options.",
	.opts = help_opts_table,
	.opts_size = sizeof(struct help_opts),
	.target = CMD_TARGET_NONE,
	.nargs_max = 1,
	.exec = help_exec,
};

const struct cmd_entry cmd_completion_entry = {
	.name = "completion",
	.synopsis = "completion bash|zsh",
	.summary = "Print shell completion for bash or zsh.",
	.target = CMD_TARGET_NONE,
	.nargs_min = 1,
	.nargs_max = 1,
	.args_name = "a shell: bash or zsh",
	.exec = completion_exec,
	.check = completion_check,
};
