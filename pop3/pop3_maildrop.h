// pop3/pop3_maildrop.h — the POP3 handler's backend on the server's services: logins
// through a login check (the task's: InternetPasswords::Verify with the log source
// "POP3") and the maildrop as the INBOX of the person's mail file through
// router/mail_service.h.
//
// ListMaildrop: ListFolder of INBOX (summaries only). ReadMessage: ReadByUid, refused as
// NotFound when the UID now names another message (INBOX got a new UIDVALIDITY), then
// \Seen with AddFlags when asked and not yet set (a failure to mark it does not withhold
// the message). RemoveMessages: one listing, then \Deleted and an EXPUNGE of just the
// UIDs that still name the listed messages (so a message another client moved out of
// INBOX is not removed): three transactions for the lot.
// Every call blocks (Argon2, LMDB, body files). Thread-safe when the service is.
#pragma once

#include <functional>
#include <string_view>

#include "pop3/pop3_session.h"
#include "router/mail_service.h"

namespace notesd::pop3 {

class MailServiceBackend final : public Pop3Backend {
 public:
  using LoginCheck =
      std::function<Result<Person>(std::string_view name, std::string_view password, std::string_view address)>;
  // `mail` must outlive the backend.
  MailServiceBackend(MailService& mail, LoginCheck login) : mail_(mail), login_(std::move(login)) {}

  Result<Person> Login(std::string_view name, std::string_view password, std::string_view client_address) override {
    return login_(name, password, client_address);
  }
  Result<std::vector<MaildropMessage>> ListMaildrop(const Person& person) override;
  Result<std::string> ReadMessage(const Person& person, const MaildropMessage& message, bool mark_seen) override;
  Result<std::size_t> RemoveMessages(const Person& person, const std::vector<MaildropMessage>& messages) override;

 private:
  MailService& mail_;
  LoginCheck login_;
};

}  // namespace notesd::pop3
