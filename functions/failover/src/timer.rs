//! Time as a port: the handler asks for "now" and sleeps through it, so a test can run a
//! ten-minute health wait in no time and the ledger's times stay consistent.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gameday_core::clock::{Clock, ManualClock};

pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Timer: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// The wall clock and tokio's sleep.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTimer;

impl Timer for SystemTimer {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when the handler sleeps (or a test advances it).
#[derive(Debug)]
pub struct ManualTimer {
    clock: ManualClock,
}

impl ManualTimer {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            clock: ManualClock::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.clock
            .advance(chrono::Duration::milliseconds(by.as_millis() as i64));
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}
