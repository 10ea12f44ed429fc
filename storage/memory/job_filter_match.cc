#include "storage/memory/job_filter_match.h"

#include <stdexcept>
#include <string>

#include "storage/memory/filter_match.h"

namespace jobsd::storage {
namespace {

// A job field's value, as the SQL stores' columns hold it.
FieldValue FieldOf(const Job& job, const std::string& field) {
  if (field == "status") return ToString(job.status);
  if (field == "job_type") return std::string_view(job.job_type);
  if (field == "created_at") return job.created_at;
  if (field == "updated_at") return job.updated_at;
  // Parse() only yields catalog fields, so this is a programming error.
  throw std::invalid_argument("job filter field [" + field + "] has no in-memory mapping");
}

}  // namespace

bool MatchesJobFilter(const filter::Filter& filter, const Job& job) {
  for (const filter::Condition& condition : filter.conditions) {
    if (!MatchesCondition(FieldOf(job, condition.field), condition)) return false;
  }
  return true;
}

}  // namespace jobsd::storage
