// jobsd webhooks add|list|remove|deliveries (the README's "Completion webhooks"): the only
// way to register the endpoints told when a job ends. The signing secret is
// printed once, by add; nothing else prints it.
#include <boost/json.hpp>
#include <iostream>

#include "api/webhook_url.h"
#include "cli/app.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "engine/webhooks/new_webhook_endpoint.h"

namespace jobsd::cli {
namespace {

constexpr int kDefaultDeliveries = 50;
constexpr int kMaxDeliveries = 1000;

std::vector<std::string> EventNames(bool on_succeeded, bool on_failed) {
  std::vector<std::string> names;
  if (on_succeeded) names.emplace_back(WebhookEventName(WebhookEvent::kJobSucceeded));
  if (on_failed) names.emplace_back(WebhookEventName(WebhookEvent::kJobFailed));
  return names;
}

boost::json::array JsonArray(const std::vector<std::string>& texts) {
  boost::json::array array;
  for (const std::string& text : texts) array.emplace_back(text);
  return array;
}

std::string Joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& text : texts) out += (out.empty() ? "" : ",") + text;
  return out;
}

int ParseLimit(const ParsedArgs& args) {
  const std::string text = args.Get("limit").value_or(std::to_string(kDefaultDeliveries));
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= 1 && value <= kMaxDeliveries) return value;
  } catch (const std::exception&) {
  }
  throw UsageError("jobsd webhooks deliveries: invalid value '" + text +
                   "' for --limit: expected a whole number from 1 to " +
                   std::to_string(kMaxDeliveries));
}

}  // namespace

int RunWebhooksAdd(const Args& raw) {
  const CommandSpec spec{
      "webhooks add",
      "URL",
      "Registers an endpoint (an http:// or https:// URL) that gets a signed POST when a job "
      "reaches success or failed (Standard Webhooks). Prints its id and signing secret; the "
      "secret is shown only this once.",
      {DbOption(),
       {"event", "EVENT", "", "both", "job.succeeded or job.failed; repeat for both", true},
       {"json", "", "", "", "print {\"id\":…,\"url\":…,\"events\":[…],\"secret\":…}"}},
      1,
      1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  const std::string& url = args.positionals[0];
  std::string problem;
  if (!api::ParseWebhookUrl(url, &problem)) {
    throw UsageError("jobsd webhooks add: invalid URL '" + url + "': " + problem);
  }
  bool on_succeeded = false;
  bool on_failed = false;
  for (const std::string& name : args.GetAll("event")) {
    std::optional<WebhookEvent> event = ParseWebhookEvent(name);
    if (!event) {
      throw UsageError("jobsd webhooks add: unknown --event '" + name +
                       "' (job.succeeded or job.failed)");
    }
    (*event == WebhookEvent::kJobSucceeded ? on_succeeded : on_failed) = true;
  }
  if (!on_succeeded && !on_failed) on_succeeded = on_failed = true;
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  SystemClock clock;
  const WebhookEndpoint endpoint = NewWebhookEndpoint(url, on_succeeded, on_failed, clock.Now());
  db->webhooks().AddEndpoint(endpoint);
  if (args.Flag("json")) {
    boost::json::object out{{"id", endpoint.id},
                            {"url", endpoint.url},
                            {"events", JsonArray(EventNames(on_succeeded, on_failed))},
                            {"secret", endpoint.secret}};
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::cout << "id: " << endpoint.id << "\n"
              << "secret: " << endpoint.secret << "\n";
  }
  return 0;
}

int RunWebhooksList(const Args& raw) {
  const CommandSpec spec{
      "webhooks list",
      "",
      "Lists the webhook endpoints, oldest first, with their events. Secrets are never shown.",
      {DbOption(),
       {"json", "", "", "",
        "print {\"data\":[{\"id\":…,\"url\":…,\"events\":[…],\"created_at\":…}]}"}}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  const std::vector<WebhookEndpointSummary> endpoints = db->webhooks().ListEndpoints();
  if (args.Flag("json")) {
    boost::json::array data;
    for (const WebhookEndpointSummary& e : endpoints) {
      data.push_back(
          boost::json::object{{"id", e.id},
                              {"url", e.url},
                              {"events", JsonArray(EventNames(e.on_succeeded, e.on_failed))},
                              {"created_at", FormatRfc3339Nano(e.created_at)}});
    }
    std::cout << boost::json::serialize(boost::json::object{{"data", std::move(data)}}) << "\n";
    return 0;
  }
  if (endpoints.empty()) {
    std::cout << "no webhook endpoints (jobsd webhooks add URL registers one)\n";
    return 0;
  }
  for (const WebhookEndpointSummary& e : endpoints) {
    std::cout << e.id << "  " << e.url << "  " << Joined(EventNames(e.on_succeeded, e.on_failed))
              << "  created " << FormatRfc3339Nano(e.created_at) << "\n";
  }
  return 0;
}

int RunWebhooksRemove(const Args& raw) {
  const CommandSpec spec{
      "webhooks remove",
      "ID",
      "Deletes a webhook endpoint and its secret. Deliveries not yet made to it are dropped; "
      "its past attempts stay in `webhooks deliveries`.",
      {DbOption()},
      1,
      1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  const std::string& id = args.positionals[0];
  auto db = OpenStore(settings);
  if (!db->webhooks().RemoveEndpoint(id)) {
    throw CommandError("webhooks remove: no webhook endpoint has id '" + id +
                       "' (jobsd webhooks list shows them)");
  }
  std::cout << "removed webhook endpoint " << id << "\n";
  return 0;
}

int RunWebhooksDeliveries(const Args& raw) {
  const CommandSpec spec{
      "webhooks deliveries",
      "",
      "Lists the most recent delivery attempts, newest first: the job and event, the endpoint, "
      "the attempt number, the HTTP status answered (or none) and what went wrong.",
      {DbOption(),
       {"limit", "N", "", "50", "how many attempts, 1 to 1000"},
       {"json", "", "", "",
        "print {\"data\":[{\"webhook_id\":…,\"endpoint_id\":…,\"job_id\":…,\"type\":…,"
        "\"attempt\":…,\"attempted_at\":…,\"status\":…,\"error\":…,\"duration_ms\":…}]}"}}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  const int limit = ParseLimit(args);
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  const std::vector<WebhookAttempt> attempts = db->webhooks().RecentAttempts(limit);
  if (args.Flag("json")) {
    boost::json::array data;
    for (const WebhookAttempt& a : attempts) {
      boost::json::object row{{"webhook_id", a.webhook_id},
                              {"endpoint_id", a.endpoint_id},
                              {"job_id", a.job_id},
                              {"type", WebhookEventName(a.event)},
                              {"attempt", a.attempt},
                              {"attempted_at", FormatRfc3339Nano(a.attempted_at)},
                              {"status", nullptr},
                              {"error", nullptr},
                              {"duration_ms", a.duration / 1'000'000}};
      if (a.http_status) row["status"] = *a.http_status;
      if (!a.error.empty()) row["error"] = a.error;
      data.push_back(std::move(row));
    }
    std::cout << boost::json::serialize(boost::json::object{{"data", std::move(data)}}) << "\n";
    return 0;
  }
  if (attempts.empty()) {
    std::cout << "no webhook deliveries yet\n";
    return 0;
  }
  for (const WebhookAttempt& a : attempts) {
    std::cout << FormatRfc3339Nano(a.attempted_at) << "  " << WebhookEventName(a.event) << "  job "
              << a.job_id << "  endpoint " << a.endpoint_id << "  attempt " << a.attempt << "  "
              << (a.http_status ? std::to_string(*a.http_status) : std::string("-")) << "  "
              << a.duration / 1'000'000 << " ms";
    if (!a.error.empty()) std::cout << "  " << a.error;
    std::cout << "  (" << a.webhook_id << ")\n";
  }
  return 0;
}

}  // namespace jobsd::cli
