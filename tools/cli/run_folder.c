/* The folder a training run owns. One run at a time: a lock file held with flock() for the
 * life of the process (the kernel drops it when the process dies, however it dies). A folder
 * that holds an earlier run is never silently reused. Temporary files that dead processes left
 * behind (a SIGKILL during a checkpoint write) are removed when a run claims the folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* What a run writes; --overwrite removes these and nothing else. */
static const char *const run_files[] = {
    "checkpoint-last.ckpt", "checkpoint-best.ckpt", "history.csv", "report.txt",
    "accuracy.png",         "loss.png",             "confusion.png", "samples.png",
    "profile.csv",
};

static bool exists(const char *folder, const char *name)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    struct stat info;
    return lstat(path, &info) == 0;
}

bool folder_holds_run(const char *folder)
{
    return exists(folder, "checkpoint-last.ckpt") || exists(folder, "history.csv");
}

void temporary_name(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s.tmp.%ld", path, (long)getpid());
}

/* "NAME.tmp.PID" whose process is gone: left by a run that was killed while writing. */
static bool stale_temporary(const char *name, long *pid)
{
    const char *mark = strstr(name, ".tmp.");
    if (!mark || mark == name)
        return false;
    char *end;
    errno = 0;
    *pid = strtol(mark + 5, &end, 10);
    if (errno || *end || end == mark + 5 || *pid <= 0 || *pid == (long)getpid())
        return false;
    return kill((pid_t)*pid, 0) != 0 && errno == ESRCH;
}

static void remove_stale_temporaries(const char *folder)
{
    DIR *listing = opendir(folder);
    if (!listing)
        return;
    struct dirent *entry;
    while ((entry = readdir(listing))) {
        long pid;
        if (!stale_temporary(entry->d_name, &pid))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        if (unlink(path) == 0)
            fprintf(stderr, "clcnn: removed %s, left by process %ld, which was killed while "
                            "writing it\n", path, pid);
    }
    closedir(listing);
}

/* The lock stays held through the descriptor, which is never closed: it goes with the process. */
static bool lock_folder(const char *folder)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/.lock", folder);
    int descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (descriptor < 0) {
        fprintf(stderr, "clcnn: cannot create the lock file %s: %s\n", path, strerror(errno));
        return false;
    }
    if (flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
        char owner[32] = "";
        ssize_t got = pread(descriptor, owner, sizeof owner - 1, 0);
        owner[got > 0 ? got : 0] = '\0';
        owner[strcspn(owner, "\n")] = '\0';
        fprintf(stderr, "clcnn: %s is in use by another clcnn train (process %s); two runs in "
                        "one folder would overwrite each other's checkpoints\n",
                folder, *owner ? owner : "unknown");
        close(descriptor);
        return false;
    }
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(descriptor, 0) != 0 || pwrite(descriptor, pid, (size_t)length, 0) != length)
        fprintf(stderr, "clcnn: warning: cannot write the process number into %s\n", path);
    return true;
}

bool claim_run_folder(const char *folder, bool resume, bool overwrite)
{
    if (!make_output_dir(folder) || !lock_folder(folder))
        return false;
    remove_stale_temporaries(folder);
    if (resume || !folder_holds_run(folder))
        return true;
    if (!overwrite) {
        fprintf(stderr, "clcnn: %s already holds a run (checkpoint-last.ckpt or history.csv); "
                        "continue it with: clcnn train --resume %s, or pass --overwrite to "
                        "replace it\n", folder, folder);
        return false;
    }
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", folder, run_files[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "clcnn: --overwrite: cannot remove %s: %s\n", path, strerror(errno));
            return false;
        }
    }
    return true;
}
