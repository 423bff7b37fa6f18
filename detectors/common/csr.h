#pragma once
// Decoding the PKCS#10 request of a CertificateSigningRequest (spec.request: base64 of PEM).

#include <string>
#include <string_view>
#include <vector>

#include "src/event/k8s_objects.h"

namespace kaudit {

struct CsrSubject {
  bool ok = false;                         // decoded
  std::string common_name;                 // CN: the user name the certificate asserts
  std::vector<std::string> organizations;  // O: the groups it asserts
};

// Decodes spec.request (base64 of a PEM "CERTIFICATE REQUEST") with OpenSSL; ok=false when it
// is not one.
CsrSubject DecodeCsrSubject(std::string_view spec_request);

// A CSR whose certificate would authenticate to the API server as a client: a kube-apiserver
// client signer, or the "client auth" usage.
bool CanAuthenticateClients(const CertificateSigningRequestView& csr);

}  // namespace kaudit
