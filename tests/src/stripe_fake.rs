//! A local HTTP fake of the Stripe PaymentIntents API (being written).
