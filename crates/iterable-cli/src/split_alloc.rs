//! The command's global allocator: small blocks from mimalloc, large ones from the
//! system allocator.
//!
//! Rows are many small allocations (a vector a row, a string a field longer than 24
//! bytes), made on one thread and freed on another; mimalloc serves those faster than
//! the system allocator. Large buffers (parsed text blocks, Arrow arrays, Parquet pages
//! and column chunks) are few, and mimalloc keeps the pages of freed large blocks
//! resident in the thread that made them, so a conversion that streams batches through
//! several threads held about twice the memory it uses; the system allocator hands
//! such blocks back. A block's size decides where it comes from, and the same size
//! comes back with it when it is freed, so each block returns to the allocator that
//! made it. The measurements behind this choice are in BENCHMARKS.md ("Design choices,
//! measured").
//!
//! On glibc, [`keep_large_blocks`] also sets how the system allocator keeps what it is
//! handed back: one arena, blocks up to [`MMAP_THRESHOLD`] from the heap and up to
//! [`TRIM_THRESHOLD`] of free heap kept. Parquet pages and column buffers are made and
//! freed a few a megabyte, by several threads; by default glibc maps many of them
//! afresh and gives back the rest when freed (each arena on its own), so the same
//! memory was faulted in again and again (about 50,000 page faults, a sixth of the CPU
//! time, converting the benchmark CSV to Parquet).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of this many bytes or more come from the system allocator.
pub const LARGE_BLOCK: usize = 16 * 1024;

/// glibc: blocks up to this size come from the heap rather than a mapping of their own
/// (its default starts at 128 KiB and moves with the blocks freed).
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// glibc: how much free memory the top of the heap keeps before it is given back
/// (its default moves with [`MMAP_THRESHOLD`]'s).
pub const TRIM_THRESHOLD: usize = 16 << 20;

/// Sets glibc's allocator for the large blocks (see the module docs): one arena for
/// all threads (large blocks are few, so they seldom wait on each other, and memory
/// one thread frees is there for the next to take), [`MMAP_THRESHOLD`] and
/// [`TRIM_THRESHOLD`]. Call it first thing, before any thread is started. A no-op off
/// glibc.
pub fn keep_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets glibc's allocator parameters; it is called before
        // any other thread exists, and every value is within the range glibc accepts
        // (a bad one is refused by its return value, leaving the default).
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
        }
    }
}

/// Small blocks from mimalloc, blocks of [`LARGE_BLOCK`] bytes or more from the system.
pub struct SplitAlloc;

fn is_large(size: usize) -> bool {
    size >= LARGE_BLOCK
}

// SAFETY: every call is forwarded to the allocator that the block's size names, and
// the size a block is freed or resized with is the size it was made with (the contract
// of `GlobalAlloc`), so a block always goes back to the allocator that made it. A
// resize across the boundary makes a new block in the other allocator, copies the
// bytes both sizes share and frees the old block where it came from.
unsafe impl GlobalAlloc for SplitAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            unsafe { System.alloc(layout) }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            unsafe { System.alloc_zeroed(layout) }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout.size()) {
            unsafe { System.dealloc(ptr, layout) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (is_large(layout.size()), is_large(new_size)) {
            (true, true) => unsafe { System.realloc(ptr, layout, new_size) },
            (false, false) => unsafe { MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees that `new_size`, rounded up to the
                // alignment, does not overflow, as `GlobalAlloc::realloc` requires.
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LARGE_BLOCK;

    /// The tests run under the command's global allocator: a vector that grows past the
    /// boundary and shrinks back below it moves between the two allocators and keeps
    /// its bytes.
    #[test]
    fn a_block_resized_across_the_boundary_keeps_its_bytes() {
        let mut bytes: Vec<u8> = (0..1000).map(|i| (i % 251) as u8).collect();
        bytes.extend((1000..LARGE_BLOCK * 3).map(|i| (i % 251) as u8));
        assert!(bytes.capacity() >= LARGE_BLOCK);
        bytes.truncate(500);
        bytes.shrink_to_fit();
        assert!(bytes.capacity() < LARGE_BLOCK);
        assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        let zeroed = vec![0u64; LARGE_BLOCK];
        assert!(zeroed.iter().all(|&z| z == 0));
    }
}
