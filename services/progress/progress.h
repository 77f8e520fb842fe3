/* Progress: the requirement catalogue (ISO/IEC 27001:2022 built in, other frameworks imported by
 * the operator), each enrolment's assessment with its history, the gap analysis baseline, the
 * Statement of Applicability and its exports, deliverables, and the summaries coordinators,
 * coaches and members watch (progress, plan versus actual, cluster overview, anonymised
 * benchmark). Isolation is PostgreSQL's row-level security (migrations/0011_progress.sql). */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/router.h"

extern const route_t progress_routes[];
extern const size_t progress_routes_count;
extern const db_stmt_t progress_statements[];
extern const size_t progress_statements_count;

/** `isms-cluster catalogue list | check FILE | import FILE`. Returns the exit status. */
int progress_catalogue_command(int argc, char **argv);
