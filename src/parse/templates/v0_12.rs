//! ≤ v0.12 (stock tracing formats, full IDs in `JobId(…)`): the coordinator's wording before
//! the rank format (ZISK-SOURCE.md §5). Its workers log the `current` rows.

use super::Carries::{JobPhase, Never, Tag};
use super::Says::*;
use super::{real, Template};

#[rustfmt::skip]
pub static ROWS: &[Template] = &[
    real("Starting coordinator gRPC server on {*}",                            Note,               Never),
    real("[Job Started] {*}",                                                  JobStarted,         Never),
    real("[Phase1 started] {J} with {*} workers",                              PhaseStarted,       Tag("Contributions")),
    real("[Phase1 progress] {J} with {*} workers completed",                   WorkerDone,         Tag("Contributions")),
    real("[Phase2 started] {J} with {*} workers",                              PhaseStarted,       Tag("Prove")),
    real("[Phase2 progress] {J} with {*} workers completed",                   WorkerDone,         Tag("Prove")),
    real("Assigned worker {W} as aggregator for job {J}",                      AggregatorAssigned, Tag("Aggregate")),
    real("[Job Finished] {J} (duration: {*})",                                 JobCompleted,       Never),
    real("Failed job {J} (reason: {*}) and freed {*} workers",                 JobFailed,          JobPhase),
];
