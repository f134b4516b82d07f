/* Command lines through glibc's argp: each command's options are one table (struct
 * argp_option: name, key, argument, help), from which argp generates the parser, `--help` and
 * `--usage`, so the three cannot drift. Errors name the command and exit with 2; -h and
 * --help print to stdout and exit with 0. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>

#include "cli.h"

typedef struct parse_state {
    const command_line *command;
    void *config;
    int first_operand;
    bool helped;
} parse_state;

static error_t parse_key(int key, char *arg, struct argp_state *state)
{
    parse_state *parse = state->input;
    switch (key) {
    case 'h':
    case USAGE_KEY:
        argp_state_help(state, stdout, key == 'h' ? ARGP_HELP_STD_HELP : ARGP_HELP_USAGE);
        parse->helped = true;
        return ECANCELED; /* stop: the command does not run */
    case ARGP_KEY_ARG:
        if (parse->command->operands)
            return ARGP_ERR_UNKNOWN; /* left for ARGP_KEY_ARGS */
        argp_error(state, "unexpected argument '%s'", arg);
        return EINVAL;
    case ARGP_KEY_ARGS:
        parse->first_operand = state->next;
        state->next = state->argc;
        return 0;
    default:
        if (key <= 0 || key >= 256)
            return ARGP_ERR_UNKNOWN;
        return parse->command->handle(key, arg, parse->config) ? 0 : EINVAL;
    }
}

int parse_command_line(const command_line *command, int argc, char **argv, void *config,
                       int *first_operand)
{
    const struct argp argp = {command->options, parse_key, command->operands, command->doc,
                              NULL, NULL, NULL};
    parse_state parse = {command, config, argc, false};
    /* ARGP_NO_EXIT: the tool decides its exit status; ARGP_NO_HELP: -h is ours, on stdout */
    error_t error = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &parse);
    if (parse.helped)
        return 0;
    if (error)
        return EXIT_USAGE;
    if (first_operand)
        *first_operand = parse.first_operand;
    return -1;
}
