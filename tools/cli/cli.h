/* Shared pieces of the clcnn command-line tool. Only the tool prints and exits; the library
 * returns statuses and messages. */
#ifndef CLCNN_CLI_H
#define CLCNN_CLI_H

#include <clcnn/clcnn.h>
#include <stdbool.h>

/* Exit statuses: 0 success, 1 failure, 2 bad usage or no such device. */
enum { EXIT_USAGE = 2 };

int command_devices(int argc, char **argv);
int command_check(int argc, char **argv);
int command_build(int argc, char **argv);

/* Prints "clcnn: <message>" and the library's last error to stderr; returns 1, or
 * EXIT_USAGE for CLCNN_ERROR_NO_DEVICE and CLCNN_ERROR_INVALID_ARGUMENT. */
int report_failure(clcnn_status status, const char *doing);

/* The device spec from --device, else CLCNN_DEVICE, else NULL (the default device). */
const char *device_spec(const char *from_flag);

/* "Device: <name> (<platform>, driver <version>)" on stderr, at the start of every command. */
void print_device_header(const clcnn_device_info *device);

/* Parses a whole positive integer in [minimum, maximum]; on failure prints an error naming
 * the flag and returns false. */
bool parse_int_flag(const char *flag, const char *text, long minimum, long maximum, long *value);

#endif
