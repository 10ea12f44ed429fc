// A fresh directory under /tmp for one test, removed when the test ends.
#pragma once

#include <filesystem>
#include <string>

namespace jobsd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// tests/data/<name>: data the tests read, kept inside the repository.
std::filesystem::path TestDataFile(const std::string& name);

// Whole file contents (binary).
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& contents);

}  // namespace jobsd::testing
