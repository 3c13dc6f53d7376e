//! Email for the events function: sending through Amazon SES v2 ([`mail`]) and what the
//! automations say (order confirmations, shipping notices, reminders, review requests,
//! low-stock alerts). Only the events function links it, and with it the SES SDK.

mod emails;
pub mod mail;

pub use emails::*;
