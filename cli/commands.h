// jobsd's commands. Each takes the arguments after its name, returns the
// exit code (0 success, 1 failure), and throws UsageError (exit 2) or
// CommandError (exit 1) with the reason for standard error.
#pragma once

#include <string>
#include <vector>

namespace jobsd::cli {

using Args = std::vector<std::string>;

int RunServe(const Args& args);
int RunMigrate(const Args& args);
int RunOrdersImport(const Args& args);
int RunOrdersSeed(const Args& args);
int RunCredentialsCreate(const Args& args);
int RunCredentialsList(const Args& args);
int RunCredentialsRevoke(const Args& args);
int RunJobsSubmit(const Args& args);
int RunJobsList(const Args& args);
int RunJobsGet(const Args& args);
int RunJobsCancel(const Args& args);
int RunJobsWait(const Args& args);
int RunWebhooksAdd(const Args& args);
int RunWebhooksList(const Args& args);
int RunWebhooksRemove(const Args& args);
int RunWebhooksDeliveries(const Args& args);

}  // namespace jobsd::cli
