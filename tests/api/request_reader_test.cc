#include "api/request_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace jobsd::api {
namespace {

using Step = RequestReader::Step;

constexpr std::size_t kHeaderLimit = 1024;
constexpr std::size_t kBodyLimit = 256;

struct Read {
  Step step = Step::kNeedMore;
  RequestFailure failure;
  std::string body;
  std::string left;  // what stays in the buffer for the next request
};

// Reads one request from `bytes`, handed over `piece` bytes at a time
// (0: all at once), as the session would.
Read ReadOne(const std::string& bytes, std::size_t piece = 0) {
  boost::beast::flat_buffer buffer;
  std::size_t sent = 0;
  auto send_more = [&] {
    if (sent == bytes.size()) return false;
    const std::size_t n = std::min(piece == 0 ? bytes.size() : piece, bytes.size() - sent);
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), bytes.data() + sent, n);
    buffer.commit(n);
    sent += n;
    return true;
  };
  RequestReader reader(kHeaderLimit, kBodyLimit);
  Read read;
  for (auto step : {&RequestReader::ParseHeader, &RequestReader::ParseBody}) {
    for (;;) {
      read.step = (reader.*step)(buffer);
      if (read.step != Step::kNeedMore || !send_more()) break;
    }
    if (read.step != Step::kDone) break;
  }
  read.failure = reader.failure();
  if (read.step == Step::kDone) read.body = reader.Release().body();
  read.left.assign(static_cast<const char*>(buffer.data().data()), buffer.size());
  read.left += bytes.substr(sent);
  return read;
}

const std::string kNext = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(RequestReaderTest, ReadsOneRequestAndLeavesTheNextInTheBuffer) {
  for (std::size_t piece : {0, 1, 3}) {
    const Read read =
        ReadOne("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" + kNext, piece);
    EXPECT_EQ(read.step, Step::kDone) << piece << ": " << read.failure.detail;
    EXPECT_EQ(read.body, "{}");
    EXPECT_EQ(read.left, kNext);
  }
}

TEST(RequestReaderTest, EmptyLinesBeforeARequestAreSkipped) {
  // RFC 9112 section 2.2; some clients send a CRLF after a POST body.
  for (std::size_t piece : {0, 1}) {
    const Read read = ReadOne("\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n" + kNext, piece);
    EXPECT_EQ(read.step, Step::kDone) << piece << ": " << read.failure.detail;
    EXPECT_EQ(read.left, kNext);
  }
}

TEST(RequestReaderTest, ReadsAChunkedBodyWhateverHowItArrives) {
  const std::string request =
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\na\nb\r\n2;ext=1\r\n\r\n\r\n0\r\n\r\n";
  for (std::size_t piece : {0, 1, 2, 5}) {
    const Read read = ReadOne(request + kNext, piece);
    EXPECT_EQ(read.step, Step::kDone) << piece << ": " << read.failure.detail;
    EXPECT_EQ(read.body, "a\nb\r\n") << piece;
    EXPECT_EQ(read.left, kNext) << piece;
  }
}

TEST(RequestReaderTest, RejectsAmbiguousFramingWith400) {
  const std::vector<std::string> headers = {
      "Host: x\r\nTransfer-Encoding: gzip\r\n",
      "Host: x\r\nTransfer-Encoding: identity\r\n",
      "Host: x\r\nTransfer-Encoding: xchunked\r\n",
      "Host: x\r\nTransfer-Encoding: chunked, identity\r\n",
      "Host: x\r\nTransfer-Encoding: chunked, chunked\r\n",
      "Host: x\r\nTransfer-Encoding: \r\n",
      "Host: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
      "Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Host: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 0\r\n",
      "Host: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n",
      "Host: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n",
      "Host: x\r\nX-A: 1\r\n 2\r\n",
      "Host: x\r\nX-A : 1\r\n",
      "",
      "Host: a\r\nHost: b\r\n",
      "Host: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n",
  };
  for (const std::string& header : headers) {
    for (std::size_t piece : {0, 1}) {
      const Read read = ReadOne("POST /a HTTP/1.1\r\n" + header + "\r\n0\r\n\r\n" + kNext, piece);
      EXPECT_EQ(read.step, Step::kFailed) << header;
      EXPECT_EQ(read.failure.code, ErrorCode::kBadRequest) << header;
      EXPECT_FALSE(read.failure.detail.empty());
    }
  }
  const Read old = ReadOne("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(old.step, Step::kFailed);
  EXPECT_EQ(ReadOne("GET /a HTTP/1.0\r\n\r\n").step, Step::kDone) << "1.0 needs no Host";
}

TEST(RequestReaderTest, BareLineFeedsAreRejectedWithoutWaitingForMore) {
  // The CRLF Beast waits for never comes: each is answered with what is there.
  for (const std::string bytes : {
           "GET /a HTTP/1.1\nHost: x\n\n",
           "GET /a HTTP/1.1\r\nHost: x\n",
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\n0\n\n",
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\n\n",
       }) {
    for (std::size_t piece : {0, 1}) {
      const Read read = ReadOne(bytes, piece);
      EXPECT_EQ(read.step, Step::kFailed) << bytes;
      EXPECT_EQ(read.failure.code, ErrorCode::kBadRequest) << bytes;
      // Beast may see a bad request line or value first when it has the
      // whole header at once; chunk lines are always ours to check.
      if (piece == 1 || bytes.starts_with("POST")) {
        EXPECT_NE(read.failure.detail.find("bare LF"), std::string::npos) << read.failure.detail;
      }
    }
  }
}

TEST(RequestReaderTest, TrailerFieldsAreRejected) {
  const Read read = ReadOne(
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\nAuthorization: Bearer smuggled\r\n\r\n");
  EXPECT_EQ(read.step, Step::kFailed);
  EXPECT_NE(read.failure.detail.find("Trailer"), std::string::npos) << read.failure.detail;
}

TEST(RequestReaderTest, LimitsGiveTheirOwnStatus) {
  Read read = ReadOne("GET /" + std::string(2 * kHeaderLimit, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read.failure.code, ErrorCode::kUriTooLong);
  read =
      ReadOne("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(2 * kHeaderLimit, 'a') + "\r\n\r\n");
  EXPECT_EQ(read.failure.code, ErrorCode::kHeadersTooLarge);
  read = ReadOne("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_EQ(read.failure.code, ErrorCode::kPayloadTooLarge);
  // A chunk-size line that never ends may not grow past the header limit.
  read = ReadOne("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     std::string(2 * kHeaderLimit, '0'),
                 100);
  EXPECT_EQ(read.step, Step::kFailed);
  EXPECT_EQ(read.failure.code, ErrorCode::kBadRequest);
}

TEST(RequestReaderTest, AnIncompleteRequestWaitsForMore) {
  EXPECT_EQ(ReadOne("GET /a HTTP/1.1\r\nHost: x\r\n").step, Step::kNeedMore);
  EXPECT_EQ(ReadOne("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{}").step,
            Step::kNeedMore);
  EXPECT_EQ(
      ReadOne("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r").step,
      Step::kNeedMore);
}

}  // namespace
}  // namespace jobsd::api
