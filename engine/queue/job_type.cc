#include "engine/queue/job_type.h"

#include <utility>

namespace jobsd {

JobOutcome JobOutcome::Success(std::string result, std::optional<Artifact> artifact,
                               std::int64_t rows) {
  JobOutcome outcome;
  outcome.kind = Kind::kSuccess;
  outcome.result = std::move(result);
  outcome.artifact = std::move(artifact);
  outcome.rows = rows;
  return outcome;
}

JobOutcome JobOutcome::Failed(std::string error) {
  JobOutcome outcome;
  outcome.kind = Kind::kFailed;
  outcome.error = std::move(error);
  return outcome;
}

JobOutcome JobOutcome::Retry(std::string error) {
  JobOutcome outcome;
  outcome.kind = Kind::kRetry;
  outcome.error = std::move(error);
  return outcome;
}

void JobTypeRegistry::Register(std::string name, std::unique_ptr<JobHandler> handler) {
  if (handler == nullptr) throw std::logic_error("job type " + name + " has no handler");
  if (handlers_.contains(name)) throw std::logic_error("job type " + name + " registered twice");
  handlers_.emplace(std::move(name), std::move(handler));
}

JobHandler* JobTypeRegistry::Find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> JobTypeRegistry::Names() const {
  // std::map iterates in key order, so the names come out sorted.
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) names.push_back(name);
  return names;
}

}  // namespace jobsd
