// Which threads run a request's handler.
//
// A write may wait for the store's write lock (another process's import, a
// `sqlite3` shell left in a transaction) for up to the busy timeout. With
// one pool for every handler, four such writes took every thread, and
// reads, /readyz and even /healthz queued behind them for as long. So:
//  - /healthz needs nothing from the store: it is answered on the I/O
//    thread at once and never queues behind anything.
//  - GET and HEAD only read; in WAL mode a reader never waits for a writer,
//    so the read pool stays free whatever the lock does. A poll of
//    /v2/jobs whose page is in the list cache does not even go there: the
//    I/O thread answers it (Router::AnswerFromListCache).
//  - Everything else may write and runs on its own small pool: at most that
//    many threads wait on the lock, the rest queue, and each ends in 503 +
//    Retry-After when the wait runs out.
#pragma once

#include "api/http_types.h"

namespace jobsd::api {

enum class HandlerLane {
  kInline,  // on the connection's I/O thread: cheap, never blocks
  kRead,    // the read pool
  kWrite,   // the write pool
};

HandlerLane LaneFor(const Request& request);

}  // namespace jobsd::api
