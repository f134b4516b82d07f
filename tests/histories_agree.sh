#!/usr/bin/env bash
# histories_agree.sh A B: whether two history.csv files of the same recipe agree as
# data-parallel training must with one device: every epoch's loss, accuracy and val_loss within
# 1e-4 relative, val_accuracy within 0.005. Prints both side by side when they do not.
paste -d, "$1" "$2" | awk -F, 'NR > 1 {
        for (c = 2; c <= 4; c++) if ($c - $(c + 7) > 1e-4 * $c || $(c + 7) - $c > 1e-4 * $c) bad = 1
        if ($5 - $12 > 0.005 || $12 - $5 > 0.005) bad = 1 } END { exit bad }' && exit 0
paste -d'|' "$1" "$2"
exit 1
