//! Presentational components, driven by their props.

pub mod browser;
pub mod category_tabs;
pub mod enable_switch;
pub mod form;
pub mod key_picker;
pub mod key_status;
pub mod provider_card;
