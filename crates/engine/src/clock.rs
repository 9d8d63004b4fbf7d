//! The engine's time: "now" for timestamps and the context object, and sleeping for Wait
//! states, Retry backoff and timeouts. A virtual clock runs a day-long workflow at once.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::BoxFuture;

pub trait EngineClock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
    /// Completes once `duration` has passed, for timeouts. Unlike `sleep` it never moves a
    /// virtual clock itself: a task doing real I/O under virtual time takes no virtual time, so
    /// its timeout fires only if something else (a Wait in a parallel branch) moves time on.
    fn deadline(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.sleep(duration)
    }
}

impl<T: EngineClock + ?Sized> EngineClock for &T {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        (**self).sleep(duration)
    }
    fn deadline(&self, duration: Duration) -> BoxFuture<'_, ()> {
        (**self).deadline(duration)
    }
}

/// The wall clock; sleeping is `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl EngineClock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl gameday_core::clock::Clock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock whose time moves only when someone sleeps on it (or calls [`VirtualClock::advance`]).
///
/// Sleeping costs no real time. Concurrent sleepers (Parallel branches, Map iterations, a task
/// racing its timeout) wake in the order of their wake-up times: a sleep registers its wake-up
/// time on first poll and completes only once it is the earliest one registered, so a
/// 10-second wait beside a 2-second one ends at +10 s, not at +12 s.
///
/// Until it is the earliest, a pending sleep asks to be polled again at once, so a sleep must
/// be awaited to its end or dropped: one kept pending but never polled again would hold every
/// later sleeper back.
#[derive(Debug, Clone)]
pub struct VirtualClock(Arc<Mutex<Timeline>>);

#[derive(Debug)]
struct Timeline {
    now: DateTime<Utc>,
    /// Wake-up times of pending sleeps, with an id to tell equal times apart.
    sleepers: BTreeSet<(DateTime<Utc>, u64)>,
    next_id: u64,
    /// Pending deadlines (timeouts): they bound how far a sleep may move time, but never move
    /// it alone.
    deadlines: BTreeSet<(DateTime<Utc>, u64)>,
    /// Deadlines parked while nobody sleeps; woken when time moves or a sleep starts.
    watchers: Vec<Waker>,
}

impl Timeline {
    fn move_to(&mut self, at: DateTime<Utc>) {
        if at > self.now {
            self.now = at;
            self.wake_watchers();
        }
    }

    fn wake_watchers(&mut self) {
        for watcher in self.watchers.drain(..) {
            watcher.wake();
        }
    }

    /// Whether `key` is the earliest of all pending sleeps and deadlines.
    fn is_earliest(&self, key: &(DateTime<Utc>, u64)) -> bool {
        let before = |set: &BTreeSet<(DateTime<Utc>, u64)>| set.first().is_some_and(|f| f < key);
        !before(&self.sleepers) && !before(&self.deadlines)
    }

    fn register(&mut self, at: DateTime<Utc>) -> (DateTime<Utc>, u64) {
        let key = (at, self.next_id);
        self.next_id += 1;
        key
    }
}

impl VirtualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(Timeline {
            now: start,
            sleepers: BTreeSet::new(),
            next_id: 0,
            deadlines: BTreeSet::new(),
            watchers: Vec::new(),
        })))
    }

    pub fn advance(&self, by: Duration) {
        let mut timeline = self.timeline();
        let at = later(timeline.now, by);
        timeline.move_to(at);
    }

    fn timeline(&self) -> MutexGuard<'_, Timeline> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `at + by`, saturating at the latest representable time.
pub(crate) fn later(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(by)
        .ok()
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl EngineClock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.timeline().now
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(VirtualSleep {
            clock: self,
            duration,
            key: None,
        })
    }

    fn deadline(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(VirtualDeadline {
            clock: self,
            duration,
            key: None,
        })
    }
}

impl gameday_core::clock::Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.timeline().now
    }
}

struct VirtualSleep<'c> {
    clock: &'c VirtualClock,
    duration: Duration,
    key: Option<(DateTime<Utc>, u64)>,
}

impl Future for VirtualSleep<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut timeline = this.clock.timeline();
        match this.key {
            None if this.duration.is_zero() => return Poll::Ready(()),
            None => {
                let at = later(timeline.now, this.duration);
                let key = timeline.register(at);
                timeline.sleepers.insert(key);
                this.key = Some(key);
                // Parked deadlines may now be the earliest thing someone waits for.
                timeline.wake_watchers();
            }
            Some(key) if timeline.is_earliest(&key) => {
                timeline.sleepers.remove(&key);
                timeline.move_to(key.0);
                this.key = None;
                return Poll::Ready(());
            }
            Some(_) => {}
        }
        // Polled again after the other futures of this round had their turn to register.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for VirtualSleep<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.clock.timeline().sleepers.remove(&key);
        }
    }
}

/// A timeout on a virtual clock: done when time reaches it, or when it is the earliest of all
/// pending waits while something sleeps (so a 60-second sleep stops at a 5-second timeout).
struct VirtualDeadline<'c> {
    clock: &'c VirtualClock,
    duration: Duration,
    key: Option<(DateTime<Utc>, u64)>,
}

impl Future for VirtualDeadline<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut timeline = this.clock.timeline();
        let key = match this.key {
            Some(key) => key,
            None => {
                let at = later(timeline.now, this.duration);
                let key = timeline.register(at);
                timeline.deadlines.insert(key);
                this.key = Some(key);
                key
            }
        };
        let reached = timeline.now >= key.0;
        if reached || (!timeline.sleepers.is_empty() && timeline.is_earliest(&key)) {
            timeline.deadlines.remove(&key);
            timeline.move_to(key.0);
            this.key = None;
            return Poll::Ready(());
        }
        if timeline.sleepers.is_empty() {
            // Only real work (a task's I/O) is pending: park until time moves or a sleep starts.
            timeline.watchers.push(cx.waker().clone());
        } else {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl Drop for VirtualDeadline<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.clock.timeline().deadlines.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        "2024-01-01T00:00:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn sleeping_moves_virtual_time_only() {
        let clock = VirtualClock::new(start());
        let real = std::time::Instant::now();
        clock.sleep(Duration::from_secs(3600)).await;
        assert_eq!(EngineClock::now(&clock), start() + TimeDelta::hours(1));
        assert!(real.elapsed() < Duration::from_secs(1));
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            gameday_core::clock::Clock::now(&clock),
            start() + TimeDelta::minutes(61)
        );
    }

    #[tokio::test]
    async fn concurrent_sleepers_wake_in_time_order() {
        let clock = VirtualClock::new(start());
        let long = async {
            clock.sleep(Duration::from_secs(10)).await;
            EngineClock::now(&clock)
        };
        let short = async {
            clock.sleep(Duration::from_secs(2)).await;
            clock.sleep(Duration::from_secs(2)).await;
            EngineClock::now(&clock)
        };
        let (long, short) = futures::join!(long, short);
        assert_eq!(long, start() + TimeDelta::seconds(10));
        assert_eq!(short, start() + TimeDelta::seconds(4));
    }

    #[tokio::test]
    async fn a_dropped_sleep_does_not_hold_time_back() {
        let clock = VirtualClock::new(start());
        let first = clock.sleep(Duration::from_secs(1));
        let raced = futures::future::select(first, clock.sleep(Duration::from_secs(5))).await;
        drop(raced);
        clock.sleep(Duration::from_secs(2)).await;
        assert_eq!(EngineClock::now(&clock), start() + TimeDelta::seconds(3));
    }

    #[tokio::test]
    async fn a_deadline_never_moves_time_alone_but_caps_a_longer_sleep() {
        let clock = VirtualClock::new(start());
        let alone = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            clock.deadline(Duration::from_secs(1)),
        )
        .await;
        assert!(alone.is_err(), "real work takes no virtual time");
        assert_eq!(EngineClock::now(&clock), start());

        let capped = futures::future::select(
            clock.deadline(Duration::from_secs(5)),
            clock.sleep(Duration::from_secs(60)),
        )
        .await;
        assert!(matches!(capped, futures::future::Either::Left(_)));
        assert_eq!(EngineClock::now(&clock), start() + TimeDelta::seconds(5));
    }
}
