#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/pipeline/live.h"
#include "src/tail/checkpoint.h"
#include "src/tail/file_follower.h"

namespace kaudit {

struct TailOptions {
  std::string path;
  std::string state_dir;  // "" = no checkpoint (start by --from-beginning/--from-end each time)
  bool from_beginning = false;
  absl::Duration poll_interval = absl::Milliseconds(250);
  bool use_inotify = true;
  absl::Duration checkpoint_interval = absl::Seconds(1);  // at most this much redone after a crash
  uint64_t max_line_bytes = 16ull << 20;
  uint64_t chunk_bytes = 1ull << 20;
  // The primary alert output (-o FILE), owned by kaudit: on restart it is cut back to its size at
  // the checkpoint, so alerts of lines read again are not duplicated. "" = stdout.
  std::string output_file;
};

// `kaudit tail`: follows one audit log (FileFollower) and submits runs of complete lines to the
// live pipeline one batch at a time; after each batch is processed and its alerts settled, the
// position and the alert output's size are checkpointed (atomically, at most every
// checkpoint_interval and whenever it catches up).
class TailSource final : public LiveSource {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TailSource>> Create(TailOptions opts,
                                                                          Context ctx);
  ~TailSource() override;

  [[nodiscard]] absl::Status Start(LivePipeline* pipeline) override;
  void Stop() override;
  void Finished() override;
  bool Ready() const override { return started_.load(); }
  void AppendMetrics(std::vector<SourceMetric>& out) const override;

  static std::string CheckpointPath(const std::string& state_dir);

 private:
  TailSource(TailOptions opts, Context ctx) : opts_(std::move(opts)), ctx_(ctx) {}
  void Run();
  bool ProcessBatch(std::string data, const std::string& source);
  void WriteCheckpointNow();
  void Wait();
  void PublishStats();

  TailOptions opts_;
  Context ctx_;
  std::unique_ptr<FileFollower> follower_;
  LivePipeline* pipeline_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  int inotify_fd_ = -1;
  int wake_fd_ = -1;

  // Owned by the tail thread (and by Finished() after the thread ended).
  uint64_t lines_ = 0;   // processed, all runs together
  uint64_t events_ = 0;  // valid events among them
  std::optional<Checkpoint> last_written_;
  absl::Time last_checkpoint_ = absl::InfinitePast();

  mutable std::mutex mu_;  // guards the copies below, read by /metrics
  FollowerStats fstats_;
  uint64_t lines_pub_ = 0, events_pub_ = 0;
  uint64_t checkpoint_writes_ = 0, checkpoint_errors_ = 0;
};

}  // namespace kaudit
