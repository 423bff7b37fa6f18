#pragma once
// Persistent detector state: a small versioned text format, one file per detector.
//
//   kaudit-state<TAB>1<TAB><detector id><TAB><detector format version>
//   <record: fields separated by TAB, escaped \t \n \\>
//   ...
//   end<TAB><record count>
//
// The trailer makes a truncated file detectable. Files are written to a temporary name and
// renamed into place, so a crash leaves the previous state intact.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/file_util.h"

namespace kaudit {

class StateWriter {
 public:
  StateWriter(std::string_view detector_id, int version);
  void Record(std::initializer_list<std::string_view> fields);
  void RecordFields(const std::vector<std::string>& fields);
  // The serialized state (header, records, trailer).
  std::string Finish() const;
  uint64_t records() const { return records_; }

 private:
  void AppendField(std::string_view f, bool first);
  std::string header_, body_;
  uint64_t records_ = 0;
};

class StateReader {
 public:
  // Parses a whole state file; checks header, detector id and trailer.
  [[nodiscard]] static absl::StatusOr<StateReader> Parse(std::string_view data,
                                                         std::string_view detector_id,
                                                         std::string_view origin);
  int version() const { return version_; }
  // The next record's fields; false at the end.
  bool Next(std::vector<std::string>* fields);
  const std::string& origin() const { return origin_; }
  // An error naming the origin and record, for a detector rejecting a record.
  absl::Status Error(std::string_view what) const;

 private:
  std::vector<std::vector<std::string>> records_;
  size_t next_ = 0;
  int version_ = 0;
  std::string origin_;
};

// Event time as integer nanoseconds since the Unix epoch (and back) for state records.
std::string TimeToField(absl::Time t);
bool TimeFromField(std::string_view s, absl::Time* t);

}  // namespace kaudit
