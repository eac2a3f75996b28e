//! The reorder buffer: results arrive in completion order and leave in input order
//! (or as they arrive). Every sequence number is pushed exactly once, so the buffer
//! never waits for a row that will not come; the stage bounds how many rows can be
//! started ahead of the oldest unfinished one, so the buffer stays small.

use std::collections::{BTreeMap, VecDeque};

use crate::options::Order;

/// Results keyed by their input position.
#[derive(Debug)]
pub(crate) struct Reorder<T> {
    next: u64,
    by_seq: BTreeMap<u64, T>,
    arrived: VecDeque<T>,
    order: Order,
}

impl<T> Reorder<T> {
    pub(crate) fn new(order: Order) -> Self {
        Reorder {
            next: 0,
            by_seq: BTreeMap::new(),
            arrived: VecDeque::new(),
            order,
        }
    }

    /// A result for input position `seq`.
    pub(crate) fn push(&mut self, seq: u64, item: T) {
        match self.order {
            Order::Input => {
                self.by_seq.insert(seq, item);
            }
            Order::Completion => self.arrived.push_back(item),
        }
    }

    /// The next result that may leave, if any.
    pub(crate) fn pop(&mut self) -> Option<T> {
        match self.order {
            Order::Input => {
                let item = self.by_seq.remove(&self.next)?;
                self.next += 1;
                Some(item)
            }
            Order::Completion => self.arrived.pop_front(),
        }
    }

    /// The order it keeps.
    pub(crate) fn order(&self) -> Order {
        self.order
    }

    /// Results held back.
    pub(crate) fn len(&self) -> usize {
        self.by_seq.len() + self.arrived.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_order_waits_for_the_gap() {
        let mut r = Reorder::new(Order::Input);
        r.push(2, "c");
        r.push(1, "b");
        assert_eq!(r.pop(), None);
        assert_eq!(r.len(), 2);
        r.push(0, "a");
        assert_eq!(
            [r.pop(), r.pop(), r.pop(), r.pop()],
            [Some("a"), Some("b"), Some("c"), None]
        );
    }

    #[test]
    fn completion_order_is_arrival_order() {
        let mut r = Reorder::new(Order::Completion);
        r.push(2, "c");
        r.push(0, "a");
        assert_eq!([r.pop(), r.pop(), r.pop()], [Some("c"), Some("a"), None]);
    }
}
