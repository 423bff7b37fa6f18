#include "detectors/common/csr.h"

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "detectors/common/rbac.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

std::string EntryText(X509_NAME* name, int index) {
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  ASN1_STRING* data = entry ? X509_NAME_ENTRY_get_data(entry) : nullptr;
  if (data == nullptr) return "";
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

CsrSubject DecodeCsrSubject(std::string_view spec_request) {
  CsrSubject out;
  std::string pem;
  if (spec_request.empty() || !absl::Base64Unescape(ToAbsl(spec_request), &pem)) return out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return out;
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(
      PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), &X509_REQ_free);
  if (!req) return out;
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  if (subject == nullptr) return out;
  out.ok = true;
  int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (i >= 0) out.common_name = EntryText(subject, i);
  for (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) {
    out.organizations.push_back(EntryText(subject, i));
  }
  return out;
}

bool CanAuthenticateClients(const CertificateSigningRequestView& csr) {
  return csr.signer_name == "kubernetes.io/kube-apiserver-client" ||
         csr.signer_name == "kubernetes.io/kube-apiserver-client-kubelet" ||
         ContainsView(csr.usages, "client auth");
}

}  // namespace kaudit
