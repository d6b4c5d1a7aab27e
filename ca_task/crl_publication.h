// ca_task/crl_publication.h — where an Internet certifier's CRLs are published, and the
// URL the certificates it issues point to (cRLDistributionPoints).
//
// Owns: the CRL file name of a certifier, the distribution-point URL rule, and the two
// notes.ini keys behind it. The HTTP task serves the newest CRL of each certifier at
// /crl/<file> on a plain-HTTP listener (HTTP_CRLPort), as RFC 5280 asks of CRL
// distribution points (http, not https: fetching a CRL must not need a certificate).
//   CA_CRLBaseURL  the URL prefix put in certificates, e.g. "http://ca.acme.com/crl";
//                  when empty, "http://<HTTP_Address>:<HTTP_CRLPort>/crl" (the host name
//                  of this machine when HTTP_Address is 0.0.0.0 or empty)
//   HTTP_CRLPort   the plain-HTTP port the HTTP task serves CRLs on; 0 (default) = none
// With neither set, certificates carry no distribution point (and the CA logs why).
// Thread safety: pure functions.
#pragma once

#include <span>
#include <string>

#include "base/config_keys.h"
#include "base/notes_ini.h"

namespace notesd {

inline constexpr ConfigKey kCaCrlBaseUrl{"CA_CRLBaseURL",
                                         ConfigType::kText,
                                         "",
                                         0,
                                         0,
                                         "URL prefix of the CRL distribution point put in certificates; empty: "
                                         "http://<HTTP_Address>:<HTTP_CRLPort>/crl",
                                         "CA",
                                         false};
// The HTTP task's listening address (read here for the default distribution point).
inline constexpr ConfigKey kHttpAddress{"HTTP_Address",
                                        ConfigType::kText,
                                        "0.0.0.0",
                                        0,
                                        0,
                                        "Address the HTTPS client API listens on (`127.0.0.1` for loopback only)",
                                        "HTTP",
                                        true};
inline constexpr ConfigKey kHttpCrlPort{
    "HTTP_CRLPort",
    ConfigType::kInt,
    "0",
    0,
    65535,
    "Plain-HTTP port on which the HTTP task serves CRLs at /crl/<certifier>.crl; 0: none",
    "HTTP",
    true};

// "<CN>.crl" with characters other than letters, digits, '.', '_' and '-' made '_'
// (as InternetCertifierSpec::IdFileName).
std::string CrlFileName(const std::string& certifier_common_name);
// The distribution-point URL for certificates of the certifier (see the top of this
// file); "" when CRLs are not published.
std::string CrlDistributionUrl(const NotesIni& ini, const std::string& certifier_common_name);

}  // namespace notesd
