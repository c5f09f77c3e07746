/*
 * The built-in server catalog.
 *
 * Entries are data, not code: a scenario can add its own under
 * `catalog.servers`.  Every number here is cited in docs/model.md
 * ("Server power").  The facility issue extends these entries with host,
 * memory, NIC, fan and PSU detail; the linear idle-to-max envelope stays as
 * the aggregate view.
 */
#include "suanli/scenario.h"

static const struct sl_server_model builtin_servers[] = {
    {
        .name = (char *)"t1008",
        .description = (char *)"4U server, 8 x Tecorigin T100 cards, 2 x Loongson 3C6000 host",
        .cards = 8,
        .height_u = 4,
        .power_max_w = 5400.0,
        .power_idle_w = 1300.0,
        .source = (char *)"brief (5.4 kW full load); idle from hardware-perf.md sec. 4 "
                          "(8 x 90 W cards measured + host, derived; low confidence)",
    },
};

size_t sl_catalog_server_count(void)
{
    return sizeof builtin_servers / sizeof builtin_servers[0];
}

const struct sl_server_model *sl_catalog_server(size_t i)
{
    return i < sl_catalog_server_count() ? &builtin_servers[i] : 0;
}
