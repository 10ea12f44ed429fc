// The job documents as the API built them before api/job_json.cc wrote
// them by hand: a Boost.JSON DOM, serialized by JsonResponse. Kept in the
// tests only, as the oracle the hand-written documents must match byte for
// byte.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "engine/queue/job.h"
#include "engine/queue/job_service.h"
#include "engine/queue/job_store.h"

namespace jobsd::api::oracle {

boost::json::object JobToJson(const Job& job, std::string_view public_url);
boost::json::object JobListToJson(const JobPage& page, const ListJobsRequest& request,
                                  std::string_view public_url);

// The bytes the API answered: boost::json::serialize plus JsonResponse's
// UTF-8 repair.
std::string JobDocumentBytes(const Job& job, std::string_view public_url);
std::string JobListDocumentBytes(const JobPage& page, const ListJobsRequest& request,
                                 std::string_view public_url);

}  // namespace jobsd::api::oracle
