#!/usr/bin/env python3
"""The bookkeeping of tools/training_parity.sh: one results file, one line per finished (seed, side).

Standard library only (runs on any python3). Subcommands:

  settings RESULTS_DIR JSON      records the run's settings, or refuses (exit 1) when the folder
                                 holds results of other settings: seeds of two recipes must not mix
  done RESULTS_DIR SIDE SEED     exit 0 when that side of that seed is already in results.jsonl
  record-ours RESULTS_DIR SEED RUN_DIR TRAIN_LIST BATCH WALL_SECONDS
                                 reads `repvgg train`'s RUN_DIR/metrics.csv into a result line
  record-pytorch RESULTS_DIR SEED EPOCHS_JSONL WALL_SECONDS
                                 reads tools/torch_train.py's output into a result line
  table RESULTS_DIR              prints the markdown table (also written to RESULTS_DIR/table.md)

Images/s on both sides: all training images of the run over the summed time of its training
epochs, each timed from the creation of its batch iterator to the end of its last optimizer step
(loading and augmentation included, validation and checkpoints not).
"""
import csv
import json
import os
import statistics
import sys


def results_path(folder):
    return os.path.join(folder, "results.jsonl")


def read_results(folder):
    path = results_path(folder)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        # A line cut by a kill is not a result; the seed is simply run again.
        rows = []
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return rows


def append(folder, row):
    with open(results_path(folder), "a") as f:
        f.write(json.dumps(row) + "\n")


def settings(folder, text):
    wanted = json.loads(text)
    path = os.path.join(folder, "settings.json")
    if os.path.exists(path):
        with open(path) as f:
            held = json.load(f)
        if held != wanted:
            differ = sorted(k for k in set(held) | set(wanted) if held.get(k) != wanted.get(k))
            sys.exit("%s: holds results of other settings (%s); use another NAME or OUT, or remove the folder"
                     % (path, ", ".join("%s %r there, %r now" % (k, held.get(k), wanted.get(k)) for k in differ)))
        return
    with open(path, "w") as f:
        json.dump(wanted, f, indent=2, sort_keys=True)
        f.write("\n")


def done(folder, side, seed):
    return any(r["side"] == side and r["seed"] == int(seed) for r in read_results(folder))


def record_ours(folder, seed, run_dir, train_list, batch, wall):
    with open(train_list, encoding="utf-8-sig") as f:
        images = sum(1 for line in f if line.strip())
    seen = images // int(batch) * int(batch)  # full batches only: train drops the short last one
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    # metrics.csv's images_per_s is the epoch's images over its training span, so the span is their ratio.
    seconds = sum(seen / float(r["images_per_s"]) for r in rows)
    record(folder, "ours", seed, [float(r["val_top1"]) for r in rows], seen * len(rows), seconds, wall)


def record_pytorch(folder, seed, epochs_jsonl, wall):
    with open(epochs_jsonl) as f:
        lines = [json.loads(line) for line in f if line.startswith("{")]
    epochs = [r for r in lines if not r.get("summary")]
    summary = [r for r in lines if r.get("summary")][-1]
    record(folder, "pytorch", seed, [r["val_top1"] for r in epochs], summary["train_images"],
           summary["train_seconds"], wall)


def record(folder, side, seed, val_top1, images, seconds, wall):
    best = max(range(len(val_top1)), key=lambda i: val_top1[i])  # the first of equals, as train keeps it
    append(folder, {"side": side, "seed": int(seed), "best_val_top1": val_top1[best], "best_epoch": best + 1,
                    "final_val_top1": val_top1[-1], "val_top1": val_top1, "train_images": images,
                    "train_seconds": round(seconds, 3), "images_per_s": round(images / seconds, 2),
                    "wall_seconds": round(float(wall), 1)})


def mean_sd(values, fmt):
    if not values:
        return "-"
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " (" + fmt + ")") % (statistics.mean(values), statistics.stdev(values))


def table(folder):
    by_seed = {}
    for r in read_results(folder):
        by_seed.setdefault(r["seed"], {})[r["side"]] = r
    with open(os.path.join(folder, "settings.json")) as f:
        s = json.load(f)
    columns = [("ours", "best_val_top1"), ("ours", "final_val_top1"), ("pytorch", "best_val_top1"),
               ("pytorch", "final_val_top1"), ("ours", "images_per_s"), ("pytorch", "images_per_s")]
    percent = lambda key: key != "images_per_s"

    def cell(row, side, key):
        if side not in row:
            return "-"
        v = row[side][key]
        return "%.2f" % (100 * v) if percent(key) else "%.1f" % v

    lines = ["Training parity: %s, RepVGG-%s, %d px, %d epochs, batch %d, lr %s, crops %s, %d threads + %d workers"
             % (s["data"], s["arch"], s["size"], s["epochs"], s["batch"], s["lr"] or "0.1 x batch / 256",
                s["crop_scale"], s["threads"], s["workers"]), "",
             "| seed | ours best | ours final | PyTorch best | PyTorch final | ours img/s | PyTorch img/s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for seed in sorted(by_seed):
        lines.append("| %d | %s |" % (seed, " | ".join(cell(by_seed[seed], side, key) for side, key in columns)))
    # Summaries over the seeds where both sides finished, so the two columns compare like with like.
    paired = [by_seed[seed] for seed in sorted(by_seed) if len(by_seed[seed]) == 2]
    values = {c: [row[c[0]][c[1]] * (100 if percent(c[1]) else 1) for row in paired] for c in columns}
    lines.append("| mean (sd), %d seeds | %s |" % (len(paired), " | ".join(
        mean_sd(values[c], "%.2f" if percent(c[1]) else "%.1f") for c in columns)))
    worst = []
    for side, key in columns:
        if not paired:
            worst.append("-")
            continue
        row = min(paired, key=lambda r: r[side][key])
        worst.append(("%.2f" if percent(key) else "%.1f") % (row[side][key] * (100 if percent(key) else 1))
                     + " (seed %d)" % row[side]["seed"])
    lines.append("| worst seed | %s |" % " | ".join(worst))
    lines.append("")
    if paired:
        ratios = [row["ours"]["images_per_s"] / row["pytorch"]["images_per_s"] for row in paired]
        lines.append("img/s ours / PyTorch: %.2fx (mean of per-seed ratios; range %.2f-%.2fx); ratio of the means %.2fx"
                     % (statistics.mean(ratios), min(ratios), max(ratios),
                        statistics.mean(values[("ours", "images_per_s")])
                        / statistics.mean(values[("pytorch", "images_per_s")])))
        for key, label in (("best_val_top1", "best"), ("final_val_top1", "final")):
            diff = statistics.mean(values[("ours", key)]) - statistics.mean(values[("pytorch", key)])
            lines.append("val top-1 %s, mean ours - mean PyTorch: %+.2f points" % (label, diff))
        walls = {side: statistics.mean(row[side]["wall_seconds"] for row in paired) for side in ("ours", "pytorch")}
        lines.append("wall time per seed (whole process), mean: ours %.0f s, PyTorch %.0f s"
                     % (walls["ours"], walls["pytorch"]))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(folder, "table.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "settings":
        settings(*args)
    elif command == "done":
        sys.exit(0 if done(*args) else 1)
    elif command == "record-ours":
        record_ours(*args)
    elif command == "record-pytorch":
        record_pytorch(*args)
    elif command == "table":
        table(*args)
    else:
        sys.exit("unknown subcommand %r; see the docstring" % command)


if __name__ == "__main__":
    main()
