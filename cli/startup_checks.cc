#include "cli/startup_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "cli/args.h"
#include "engine/random.h"

namespace jobsd::cli {
namespace fs = std::filesystem;

namespace {

std::string ErrnoText(int error) { return std::strerror(error); }

}  // namespace

void CheckExportsDir(const fs::path& dir, const std::string& source) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (fs::exists(status) && !fs::is_directory(status)) {
    throw UsageError("invalid value '" + dir.string() + "' for " + source +
                     ": it is not a directory");
  }
  if (!fs::exists(status)) {
    fs::create_directories(dir, ec);
    if (ec) {
      throw CommandError("cannot create the exports directory " + dir.string() + " (" + source +
                         "): " + ec.message());
    }
  }
  // A real write, as an export does it: permissions, a read-only mount, a
  // full disk or an immutable folder all show here, root or not.
  const fs::path probe = dir / (".tmp-startup-check-" + RandomHex(8));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw CommandError("cannot write in the exports directory " + dir.string() + " (" + source +
                       "): " + ErrnoText(errno));
  }
  const ssize_t written = ::write(fd, "x", 1);
  const int write_error = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (written != 1) {
    throw CommandError("cannot write in the exports directory " + dir.string() + " (" + source +
                       "): " + ErrnoText(write_error));
  }
}

}  // namespace jobsd::cli
