//! The files `scalesim calibrate` writes. They are written like every other command's
//! outputs, through `crate::output::OutputDir` (staged, moved into place complete, and replacing
//! only what the folder's ledger vouches for).

/// The files a calibration writes into its folder.
pub(crate) const FILES: [&str; 3] = ["calibration.yaml", "calibration.json", "calibration.png"];

/// The PNG `Software` text of `calibration.png`.
pub(crate) const PNG_MARK: &str = "scalesim calibrate";
