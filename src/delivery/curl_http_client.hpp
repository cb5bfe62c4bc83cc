#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "delivery/http_client.hpp"
#include "delivery/network_policy.hpp"

namespace billhook::delivery {

// HttpClient on libcurl's multi interface: one thread drives every transfer, connections are
// kept alive and reused per host, redirects are not followed, proxies from the environment are
// ignored, and every address a connection is about to use is checked by the NetworkPolicy
// (so a DNS answer that changed since the endpoint was saved cannot reach a private network).
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(NetworkPolicy policy);
  // Stops the transfer thread. Transfers still running are abandoned without calling `done`:
  // their deliveries stay leased and are tried again after a restart.
  ~CurlHttpClient() override;

  void send(OutboundRequest request, Done done) override;
  size_t in_flight() const override { return in_flight_.load(); }

  struct Transfer;  // one request in flight; public only for curl's C callbacks

 private:
  void run();
  void start(std::unique_ptr<Transfer> transfer);
  void finish(Transfer* transfer, int curl_code);

  NetworkPolicy policy_;
  void* multi_ = nullptr;  // CURLM*, kept opaque so this header does not include curl
  std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> queued_;
  std::unordered_set<Transfer*> active_;  // owned while curl works on them; touched by the thread only
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> in_flight_{0};
  std::thread thread_;
};

}  // namespace billhook::delivery
