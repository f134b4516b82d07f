/* make_cifar FOLDER PER_BATCH TEST_COUNT [SEED]: writes a small learnable CIFAR-10 binary
 * folder for the command-line tests (never the real data). */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: make_cifar FOLDER PER_BATCH TEST_COUNT [SEED]\n");
        return 2;
    }
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    if (!write_cifar_folder(argv[1], atoi(argv[2]), atoi(argv[3]), seed)) {
        fprintf(stderr, "make_cifar: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
