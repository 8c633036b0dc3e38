//! Reserved numbers: Kotani's own sandbox outcomes (phone numbers matched on their last nine
//! digits, bank accounts and shortcodes exactly; Kotani's sandbox-scenarios page), and the
//! sandbox's own for what Kotani's sandbox cannot do, all in `7099999xx`, outside Kotani's
//! `7000000xx` range.

/// Kotani: success after about 5 s.
pub const SUCCESS: &str = "700000001";
/// Kotani: success after about 5 s, the account registered to another name.
pub const SUCCESS_OTHER_NAME: &str = "700000002";
/// Kotani: fails with insufficient funds.
pub const INSUFFICIENT_FUNDS: &str = "700000010";
/// Kotani: fails, account not found.
pub const ACCOUNT_NOT_FOUND: &str = "700000011";
/// Kotani: fails, limit exceeded.
pub const LIMIT_EXCEEDED: &str = "700000012";
/// Kotani: fails, cancelled by the customer.
pub const CANCELLED_BY_CUSTOMER: &str = "700000013";
/// Kotani: never settles (stays pending).
pub const NEVER_SETTLES: &str = "700000020";
/// Kotani: success after about 60 s.
pub const SLOW_SUCCESS: &str = "700000021";

/// Ours: the server takes the payment, then the connection drops before the response.
pub const LOST_RESPONSE: &str = "709999901";
/// Ours: the first attempt is answered 503 (nothing taken); a retry succeeds.
pub const UNAVAILABLE_ONCE: &str = "709999902";
/// Ours: every webhook of the transaction is delivered twice.
pub const WEBHOOK_TWICE: &str = "709999903";
/// Ours: the webhooks arrive 10 minutes late.
pub const WEBHOOK_LATE: &str = "709999904";
/// Ours: the final status is delivered before the intermediate one.
pub const OUT_OF_ORDER: &str = "709999905";
/// Ours: reported EXPIRED, then corrected to SUCCESSFUL.
pub const EXPIRED_THEN_SUCCESSFUL: &str = "709999906";
/// Ours: reported CANCELLED, then corrected to SUCCESSFUL.
pub const CANCELLED_THEN_SUCCESSFUL: &str = "709999907";
/// Ours: the customer is suspended: 403 with `data.bannedUntil`.
pub const SUSPENDED: &str = "709999908";
/// Ours: a withdrawal held as DUPLICATE_PENDING until `resolve_duplicate_withdrawal`.
pub const DUPLICATE_PENDING: &str = "709999909";
/// Ours: a deposit that succeeds, then is REVERSED.
pub const REVERSED_LATER: &str = "709999910";
/// Ours: a deposit the customer never approves: EXPIRED after 30 minutes.
pub const EXPIRES: &str = "709999911";

/// How a transaction to a phone number settles in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// SUCCESSFUL after the usual delay.
    Success,
    /// SUCCESSFUL after about 60 s.
    SlowSuccess,
    /// FAILED with this reason.
    Failed(FailureReason),
    /// Stays pending.
    NeverSettles,
    /// Committed, but the response is lost.
    LostResponse,
    /// 503 once, then accepted.
    UnavailableOnce,
    /// Each webhook sent twice.
    WebhookTwice,
    /// Webhooks 10 minutes late.
    WebhookLate,
    /// Final status delivered before the intermediate one.
    OutOfOrder,
    /// EXPIRED, later corrected to SUCCESSFUL.
    ExpiredThenSuccessful,
    /// CANCELLED, later corrected to SUCCESSFUL.
    CancelledThenSuccessful,
    /// Refused with 403 and `data.bannedUntil`.
    Suspended,
    /// Withdrawals: held as DUPLICATE_PENDING.
    DuplicatePending,
    /// Deposits: SUCCESSFUL, then REVERSED.
    ReversedLater,
    /// Deposits: EXPIRED after 30 minutes.
    Expires,
}

/// Why a reserved number fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureReason {
    /// `INSUFFICIENT_FUNDS`.
    InsufficientFunds,
    /// `ACCOUNT_NOT_FOUND`.
    AccountNotFound,
    /// `LIMIT_EXCEEDED`.
    LimitExceeded,
    /// `CANCELLED_BY_CUSTOMER`.
    CancelledByCustomer,
}

impl FailureReason {
    /// The error code the transaction reports.
    pub fn code(self) -> &'static str {
        match self {
            FailureReason::InsufficientFunds => "INSUFFICIENT_FUNDS",
            FailureReason::AccountNotFound => "ACCOUNT_NOT_FOUND",
            FailureReason::LimitExceeded => "LIMIT_EXCEEDED",
            FailureReason::CancelledByCustomer => "CANCELLED_BY_CUSTOMER",
        }
    }

    /// The error message the transaction reports.
    pub fn message(self) -> &'static str {
        match self {
            FailureReason::InsufficientFunds => "Insufficient funds",
            FailureReason::AccountNotFound => "Account not found",
            FailureReason::LimitExceeded => "Transaction limit exceeded",
            FailureReason::CancelledByCustomer => "Transaction cancelled by customer",
        }
    }
}

/// The last nine digits of a phone number (all its digits when it has fewer).
pub fn last_nine(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(9)..].iter().collect()
}

/// How a transaction to `phone` settles (last nine digits; any country prefix).
pub fn outcome(phone: &str) -> Outcome {
    match last_nine(phone).as_str() {
        SLOW_SUCCESS => Outcome::SlowSuccess,
        INSUFFICIENT_FUNDS => Outcome::Failed(FailureReason::InsufficientFunds),
        ACCOUNT_NOT_FOUND => Outcome::Failed(FailureReason::AccountNotFound),
        LIMIT_EXCEEDED => Outcome::Failed(FailureReason::LimitExceeded),
        CANCELLED_BY_CUSTOMER => Outcome::Failed(FailureReason::CancelledByCustomer),
        NEVER_SETTLES => Outcome::NeverSettles,
        LOST_RESPONSE => Outcome::LostResponse,
        UNAVAILABLE_ONCE => Outcome::UnavailableOnce,
        WEBHOOK_TWICE => Outcome::WebhookTwice,
        WEBHOOK_LATE => Outcome::WebhookLate,
        OUT_OF_ORDER => Outcome::OutOfOrder,
        EXPIRED_THEN_SUCCESSFUL => Outcome::ExpiredThenSuccessful,
        CANCELLED_THEN_SUCCESSFUL => Outcome::CancelledThenSuccessful,
        SUSPENDED => Outcome::Suspended,
        DUPLICATE_PENDING => Outcome::DuplicatePending,
        REVERSED_LATER => Outcome::ReversedLater,
        EXPIRES => Outcome::Expires,
        _ => Outcome::Success,
    }
}

/// What an account check of a phone number, bank account or shortcode finds: the
/// `nameLookupStatus`, the registered name, and (bank accounts) the `accountStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// `MATCHED`, `NOT_FOUND`, `UNSUPPORTED`, `TIMEOUT`, `ERROR`.
    pub status: &'static str,
    /// The registered name, when matched (masked for `700000007`).
    pub name: Option<&'static str>,
    /// `ACTIVE`, `FROZEN`, `RESTRICTED` (bank accounts).
    pub account_status: Option<&'static str>,
}

const fn lookup(
    status: &'static str,
    name: Option<&'static str>,
    account_status: Option<&'static str>,
) -> Lookup {
    Lookup {
        status,
        name,
        account_status,
    }
}

/// Kotani's fixed validation outcome for a phone number (last nine digits). Other numbers match
/// a name made from the number.
pub fn phone_lookup(phone: &str) -> Option<Lookup> {
    Some(match last_nine(phone).as_str() {
        "700000001" => lookup("MATCHED", Some("JANE MARY DOE"), Some("ACTIVE")),
        "700000002" => lookup("MATCHED", Some("ROBERT JAMES SMITH"), Some("ACTIVE")),
        "700000003" => lookup("NOT_FOUND", None, None),
        "700000004" => lookup("UNSUPPORTED", None, None),
        "700000005" => lookup("TIMEOUT", None, None),
        "700000006" => lookup("ERROR", None, None),
        "700000007" => lookup("MATCHED", Some("J*** M*** D**"), Some("ACTIVE")),
        _ => return None,
    })
}

/// Kotani's fixed validation outcome for a bank account number (exact).
pub fn bank_lookup(account: &str) -> Option<Lookup> {
    Some(match account.trim() {
        "1000000001" => lookup("MATCHED", Some("JANE MARY DOE"), Some("ACTIVE")),
        "1000000002" => lookup("MATCHED", Some("ROBERT JAMES SMITH"), Some("ACTIVE")),
        "1000000003" => lookup("MATCHED", Some("JANE MARY DOE"), Some("FROZEN")),
        "1000000004" => lookup("MATCHED", Some("JANE MARY DOE"), Some("RESTRICTED")),
        "1000000005" => lookup("NOT_FOUND", None, None),
        "1000000006" => lookup("UNSUPPORTED", None, None),
        "1000000007" => lookup("ERROR", None, None),
        _ => return None,
    })
}

/// Kotani's fixed validation outcome for a paybill or till shortcode (exact).
pub fn shortcode_lookup(code: &str) -> Option<Lookup> {
    Some(match code.trim() {
        "100001" => lookup("MATCHED", Some("ACME TRADING LIMITED"), Some("ACTIVE")),
        "100002" => lookup("NOT_FOUND", None, None),
        "100003" => lookup("ERROR", None, None),
        _ => return None,
    })
}

/// Whether `given` matches `registered` token by token, as Kotani compares names: case and order
/// do not matter, middle names may be left out, and an initial matches a name it starts
/// ("Jane M Doe" matches "JANE MARY DOE").
pub fn names_match(given: &str, registered: &str) -> bool {
    let tokens = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == '.' || c == ',')
            .filter(|t| !t.is_empty())
            .map(str::to_uppercase)
            .collect()
    };
    let given = tokens(given);
    let registered = tokens(registered);
    if given.is_empty() || registered.is_empty() {
        return false;
    }
    let mut used = vec![false; registered.len()];
    let mut full = 0;
    for g in &given {
        let hit = registered
            .iter()
            .enumerate()
            .find(|(i, r)| !used[*i] && (*r == g || (g.chars().count() == 1 && r.starts_with(g.as_str()))));
        match hit {
            Some((i, r)) => {
                used[i] = true;
                if r == g {
                    full += 1;
                }
            }
            None => return false,
        }
    }
    full >= 2.min(registered.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_nine_digits_whatever_the_prefix() {
        for p in ["+254700000010", "256700000010", "+233 700 000 010", "700000010"] {
            assert_eq!(
                outcome(p),
                Outcome::Failed(FailureReason::InsufficientFunds),
                "{p}"
            );
        }
        assert_eq!(outcome("+254712345678"), Outcome::Success);
        assert_eq!(outcome("+256709999901"), Outcome::LostResponse);
    }

    #[test]
    fn names_compare_token_by_token() {
        assert!(names_match("Jane M Doe", "JANE MARY DOE"));
        assert!(names_match("doe jane", "JANE MARY DOE"));
        assert!(!names_match("John Doe", "JANE MARY DOE"));
        assert!(!names_match("J M D", "JANE MARY DOE"));
    }
}
