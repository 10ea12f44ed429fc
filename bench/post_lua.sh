# Sourced by bench/run.sh and bench/memory.sh: the wrk script both use to POST jobs.
#
#   write_post_lua FILE TOKEN
#
# Each request creates an order_export job whose filter matches no order, so the worker fails it
# at once and the figure is the write path's: a 202 only once the job is stored.
post_filter='eq(email,nobody@bench.invalid)'
write_post_lua() {
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = '{"data":{"type":"job","job_type":"order_export","filter":"$post_filter"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
LUA
}
