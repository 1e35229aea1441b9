/* registry_pg.h — internal to the registry: its PostgreSQL backend (registry_pg.c). */
#ifndef VIGIL_REGISTRY_PG_H
#define VIGIL_REGISTRY_PG_H

#include "node/registry/registry_db.h"

/*
 * pg_open: the PostgreSQL backend on the database a libpq connection URI
 * names (regdb_open), once node is its coordinator: until then it waits, as a
 * standby.  With wait, a server that cannot be reached is waited for too;
 * without, that fails at once.  NULL on failure (logged; the URI's password
 * never is).
 */
struct regdb *pg_open(const char *uri, const char *node, int wait);

#endif
