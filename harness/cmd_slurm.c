/* cmd_slurm.c — privaudit slurm CONFIG --shards N [--partition P] [--time T] [--cpus C] [--dir DIR]
 * [--script FILE] [--max-running M] [--seed S]: writes (never submits) a
 * SLURM job-array script that runs the config's N shards and then merges
 * them (docs/cluster.md). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "core/err.h"
#include "core/util.h"
#include "core/version.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/config.h"

static void slurm_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit slurm CONFIG.json --shards N [--partition P] [--time T] [--cpus C]\n"
            "                       [--dir DIR] [--script FILE] [--max-running M] [--seed S]\n\n"
            "Writes (does not submit) a bash script for SLURM that runs privaudit run CONFIG --shard I/N\n"
            "for I = 0..N-1 as one job array (task I = SLURM_ARRAY_TASK_ID) and then, in a job that\n"
            "depends on the array (--dependency=afterok), privaudit merge of the N shard databases.\n"
            "Everything is kept in DIR, which every node must see (a shared folder):\n"
            "DIR/shard-I-of-N.db (+ .done once finished), DIR/logs/, and the merged DIR/NAME.db.\n"
            "Submit with: bash SCRIPT. Submitting it again submits only the shards not yet finished\n"
            "(an interrupted shard resumes where it stopped), then the merge. docs/cluster.md.\n\n"
            "  --shards N        number of shards (array tasks), 1..100000\n"
            "  --partition P     #SBATCH --partition (default: the cluster's default)\n"
            "  --time T          #SBATCH --time per task, e.g. 02:00:00 or 1-00:00:00 (default: none)\n"
            "  --cpus C          #SBATCH --cpus-per-task; each shard runs with --jobs C (default 1)\n"
            "  --dir DIR         shared results folder (default NAME-shards in the current folder)\n"
            "  --script FILE     where to write the script (default DIR/NAME.sbatch)\n"
            "  --max-running M   at most M array tasks at once (--array=...%%M; default: no limit)\n"
            "  --seed S          run every shard with --seed S\n");
}

/* s as one single-quoted shell word */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* 1 if every character of s is in allowed (and s is not empty) */
static int only(const char *s, const char *allowed)
{
    return *s && strspn(s, allowed) == strlen(s);
}

int cmd_slurm(int argc, char **argv)
{
    const char *cfg_path = NULL, *partition = NULL, *time_s = NULL, *dir = NULL, *script = NULL, *v;
    uint64_t shards = 0, cpus = 1, max_running = 0, seed = 0;
    int have_seed = 0, r;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            slurm_usage(stdout);
            return 0;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--shards", &v))) {
            if (r < 0 || args_u64("slurm", "--shards", v, 1, 100000, &shards))
                return 2;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--cpus", &v))) {
            if (r < 0 || args_u64("slurm", "--cpus", v, 1, 256, &cpus))
                return 2;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--max-running", &v))) {
            if (r < 0 || args_u64("slurm", "--max-running", v, 1, 100000, &max_running))
                return 2;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--seed", &v))) {
            if (r < 0 || args_u64("slurm", "--seed", v, 0, UINT64_MAX, &seed))
                return 2;
            have_seed = 1;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--partition", &v))) {
            if (r < 0)
                return 2;
            if (!only(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,-")) {
                fprintf(stderr, "privaudit slurm: --partition: got \"%s\", expected a partition name (letters, digits, "
                        "_ . - and , between names)\n", v);
                return 2;
            }
            partition = v;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--time", &v))) {
            if (r < 0)
                return 2;
            if (!only(v, "0123456789:-")) {
                fprintf(stderr, "privaudit slurm: --time: got \"%s\", expected a SLURM time such as 90, 02:00:00 or "
                        "1-12:00:00\n", v);
                return 2;
            }
            time_s = v;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--dir", &v))) {
            if (r < 0)
                return 2;
            dir = v;
        } else if ((r = args_opt(argc, argv, &i, "slurm", "--script", &v))) {
            if (r < 0)
                return 2;
            script = v;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "privaudit slurm: unknown option \"%s\" (see privaudit slurm --help)\n", argv[i]);
            return 2;
        } else if (!cfg_path) {
            cfg_path = argv[i];
        } else {
            fprintf(stderr, "privaudit slurm: unexpected argument \"%s\": expected one CONFIG.json\n", argv[i]);
            return 2;
        }
    }
    if (!cfg_path || !shards) {
        fprintf(stderr, "privaudit slurm: expected a CONFIG.json and --shards N\n");
        slurm_usage(stderr);
        return 2;
    }
    pa_err err = {0};
    config *c = NULL;
    if (config_read(cfg_path, have_seed ? &seed : NULL, &c, &err)) {
        fprintf(stderr, "privaudit slurm: %s\n", err.msg);
        return 2;
    }
    int code = 2;
    char cfg_abs[PATH_MAX], dir_abs[PATH_MAX], bin[PATH_MAX], dflt[PATH_MAX], script_buf[PATH_MAX + 64];
    const size_t n_trials = c->n_cells * c->games;
    if (shards > n_trials) {
        fprintf(stderr, "privaudit slurm: --shards %llu: the config has only %zu trials (%zu cells x %zu games)\n",
                (unsigned long long)shards, n_trials, c->n_cells, c->games);
        goto done;
    }
    for (const char *p = c->name; *p; p++)
        if (*p == '/' || *p == '\n') {
            fprintf(stderr, "privaudit slurm: %s: the config's name \"%s\" names files: it may not hold / or a newline\n",
                    cfg_path, c->name);
            goto done;
        }
    if (!realpath(cfg_path, cfg_abs)) {
        fprintf(stderr, "privaudit slurm: %s: %s\n", cfg_path, strerror(errno));
        goto done;
    }
    if (!dir) {
        snprintf(dflt, sizeof dflt, "%s-shards", c->name);
        dir = dflt;
    }
    if (util_mkdir_p(dir, &err) || !realpath(dir, dir_abs)) {
        fprintf(stderr, "privaudit slurm: --dir %s: %s\n", dir, err.msg[0] ? err.msg : strerror(errno));
        goto done;
    }
    ssize_t bl = readlink("/proc/self/exe", bin, sizeof bin - 1);
    if (bl <= 0) {
        fprintf(stderr, "privaudit slurm: cannot find the privaudit binary's path: %s\n", strerror(errno));
        code = 1;
        goto done;
    }
    bin[bl] = 0;
    if (!script) {
        snprintf(script_buf, sizeof script_buf, "%s/%s.sbatch", dir_abs, c->name);
        script = script_buf;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        fprintf(stderr, "privaudit slurm: out of memory\n");
        code = 1;
        goto done;
    }
    char job[64];
    size_t jl = 0;
    for (const char *p = c->name; *p && jl + 1 < sizeof job; p++)
        job[jl++] = only((char[]){*p, 0}, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ? *p : '_';
    job[jl] = 0;
    fprintf(f,
            "#!/bin/bash\n"
            "# Written by privaudit slurm (privaudit %s) for %s:\n"
            "# %llu shards of %zu trials as one SLURM job array, then their merge (docs/cluster.md).\n"
            "# Submit:  bash %s\n"
            "# Submitting again submits only the shards without a .done file, then the merge.\n"
            "#SBATCH --job-name=privaudit-%s\n"
            "#SBATCH --cpus-per-task=%llu\n",
            pa_version(), cfg_abs, (unsigned long long)shards, n_trials, script, job, (unsigned long long)cpus);
    if (partition)
        fprintf(f, "#SBATCH --partition=%s\n", partition);
    if (time_s)
        fprintf(f, "#SBATCH --time=%s\n", time_s);
    fprintf(f, "set -euo pipefail\n\nPRIVAUDIT=\"${PRIVAUDIT:-");
    /* the binary's path inside double quotes: escape what bash would expand */
    for (const char *p = bin; *p; p++) {
        if (strchr("\"$`\\", *p))
            fputc('\\', f);
        fputc(*p, f);
    }
    fprintf(f, "}\"   # the same build on every node (merge refuses shards of another code version)\nCONFIG=");
    put_quoted(f, cfg_abs);
    fprintf(f, "\nDIR=");
    put_quoted(f, dir_abs);
    fprintf(f, "\nNAME=");
    put_quoted(f, c->name);
    fprintf(f, "\nN=%llu\nSEED_ARGS=(", (unsigned long long)shards);
    if (have_seed)
        fprintf(f, "--seed %llu", (unsigned long long)seed);
    fprintf(f, ")\nTHROTTLE=\"%s", max_running ? "%" : "");
    if (max_running)
        fprintf(f, "%llu", (unsigned long long)max_running);
    fprintf(f, "\"\n");
    fputs("\n"
          "shard_db() { echo \"$DIR/shard-$1-of-$N.db\"; }\n"
          "\n"
          "case \"${1:-submit}\" in\n"
          "submit)\n"
          "    if [ -n \"${SLURM_JOB_ID:-}\" ]; then\n"
          "        echo \"$0: submit with bash $0 (not sbatch): it submits the array and the merge\" >&2\n"
          "        exit 2\n"
          "    fi\n"
          "    mkdir -p \"$DIR/logs\"\n"
          "    todo=\"\"\n"
          "    for ((i = 0; i < N; i++)); do\n"
          "        [ -e \"$(shard_db $i).done\" ] || todo=\"${todo:+$todo,}$i\"\n"
          "    done\n"
          "    deps=()\n"
          "    if [ -n \"$todo\" ]; then\n"
          "        jid=$(sbatch --parsable --array=\"$todo$THROTTLE\" --output=\"$DIR/logs/shard-%a.out\" \"$0\" shard)\n"
          "        jid=${jid%%;*}\n"
          "        deps=(--dependency=afterok:\"$jid\")\n"
          "        echo \"privaudit slurm: shards $todo of 0..$((N - 1)) submitted: job array $jid\"\n"
          "    else\n"
          "        echo \"privaudit slurm: all $N shards finished already\"\n"
          "    fi\n"
          "    mid=$(sbatch --parsable \"${deps[@]}\" --output=\"$DIR/logs/merge-%j.out\" \"$0\" merge)\n"
          "    echo \"privaudit slurm: merge job ${mid%%;*}${todo:+ (runs once every shard has succeeded)} -> $DIR/$NAME.db\"\n"
          "    ;;\n"
          "shard)\n"
          "    i=${SLURM_ARRAY_TASK_ID:?shard mode runs as a task of the job array}\n"
          "    db=$(shard_db \"$i\")\n"
          "    if [ -e \"$db.done\" ]; then\n"
          "        echo \"shard $i/$N finished already ($db)\"\n"
          "        exit 0\n"
          "    fi\n"
          "    resume=()\n"
          "    [ -e \"$db\" ] && resume=(--resume)\n"
          "    \"$PRIVAUDIT\" run \"$CONFIG\" --shard \"$i/$N\" --db \"$db\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\" \\\n"
          "        \"${SEED_ARGS[@]}\" \"${resume[@]}\"\n"
          "    touch \"$db.done\"\n"
          "    ;;\n"
          "merge)\n"
          "    out=\"$DIR/$NAME.db\"\n"
          "    if [ -e \"$out\" ]; then\n"
          "        echo \"merged already: $out\"\n"
          "        exit 0\n"
          "    fi\n"
          "    dbs=()\n"
          "    for ((i = 0; i < N; i++)); do dbs+=(\"$(shard_db $i)\"); done\n"
          "    \"$PRIVAUDIT\" merge \"$out\" \"${dbs[@]}\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\"\n"
          "    ;;\n"
          "*)\n"
          "    echo \"usage: bash $0 [submit]   (shard and merge are the modes SLURM runs)\" >&2\n"
          "    exit 2\n"
          "    ;;\n"
          "esac\n",
          f);
    if (fclose(f) != 0 || !text) {
        fprintf(stderr, "privaudit slurm: out of memory\n");
        free(text);
        code = 1;
        goto done;
    }
    if (util_write_file_atomic(script, text, len, &err)) {
        fprintf(stderr, "privaudit slurm: %s\n", err.msg);
        free(text);
        code = 1;
        goto done;
    }
    free(text);
    if (chmod(script, 0755) != 0) {
        fprintf(stderr, "privaudit slurm: %s: %s\n", script, strerror(errno));
        code = 1;
        goto done;
    }
    printf("%s\n", script);
    fprintf(stderr, "privaudit slurm: wrote %s: %llu shards of %s into %s; submit with: bash %s\n", script,
            (unsigned long long)shards, c->name, dir_abs, script);
    code = 0;
done:
    config_free(c);
    return code;
}
