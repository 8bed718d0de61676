/* fuzz_config.c — experiment configs (harness/config.c, core/json.c) on
 * arbitrary bytes. Properties: a config that reads has cells, attacks,
 * labels within CONFIG_MAX_LABEL and a name without separators; the strict
 * JSON reader and cJSON agree on every text the former accepts. */
#include "fuzz/fuzz.h"

#include "core/json.h"
#include "core/util.h"
#include "harness/config.h"

static int fuzz_config(const uint8_t *data, size_t n)
{
    pa_err e;
    cJSON *root = NULL;
    if (json_parse_strict((const char *)data, n, "fuzz", &root, &e) == PA_OK) {
        char *again = cJSON_PrintUnformatted(root);
        cJSON *r2 = NULL;
        if (!again || json_parse_strict(again, strlen(again), "printed", &r2, &e) != PA_OK)
            FUZZ_FAIL("cJSON's print of an accepted text is refused: %s\n%s", e.msg, again ? again : "(null)");
        cJSON_Delete(r2);
        free(again);
        cJSON_Delete(root);
    }
    const char *p = fuzz_file(0, data, n);
    config *c = NULL;
    if (config_read(p, NULL, &c, &e) != PA_OK)
        return 0;
    if (!c->n_cells || !c->n_attacks || !c->name || strchr(c->name, '/') || util_ctrl_char(c->name))
        FUZZ_FAIL("an accepted config without cells/attacks or with a bad name");
    for (size_t k = 0; k < c->n_attacks; k++)
        if (strlen(c->attacks[k].label) > CONFIG_MAX_LABEL || util_ctrl_char(c->attacks[k].label))
            FUZZ_FAIL("an accepted attack label \"%s\"", c->attacks[k].label);
    config_free(c);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    return fuzz_config(data, n);
}
#endif
