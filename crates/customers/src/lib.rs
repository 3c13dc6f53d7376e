//! Customer accounts in Medusa v2's Store API shape: identities and logins
//! ([`identities`]), customers ([`customers`]), saved addresses ([`addresses`]), and the
//! extractors that say which customer a request comes from ([`session`]).
//!
//! Guest checkouts create no customer: an order placed as a guest stays a guest order,
//! also when an account with the same email exists later (as in Medusa).

pub mod addresses;
pub mod countries;
pub mod customers;
pub mod identities;
pub mod session;
mod wire;

pub use customers::Customer;
pub use session::{CustomerContext, IdentityToken, OptionalCustomer};
pub use wire::{AddressBody, AddressRow, CustomerRow};
