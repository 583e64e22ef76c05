//! Sign-in attempts per subject (an account's email hash, a client address), counted in the
//! database so the count is shared by every instance and its size stays bounded: one row per
//! subject, purged once its window is over.

use sqlx::Row;

use super::{Db, StoreError};

/// One subject's attempts in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptCount {
    /// Attempts in the window, the one just counted included.
    pub attempts: i64,
    pub window_start: i64,
}

impl Db {
    /// Counts one attempt for `subject` in one statement, so concurrent attempts are each counted:
    /// a window older than `window_ms` starts afresh at `now`.
    pub async fn count_login_attempt(
        &self,
        subject: &str,
        now: i64,
        window_ms: i64,
    ) -> Result<AttemptCount, StoreError> {
        let row = sqlx::query(
            "INSERT INTO login_attempts (subject, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (subject) DO UPDATE SET \
             attempts = CASE WHEN login_attempts.window_start <= $3 THEN 1 \
                 ELSE login_attempts.attempts + 1 END, \
             window_start = CASE WHEN login_attempts.window_start <= $3 THEN $2 \
                 ELSE login_attempts.window_start END \
             RETURNING attempts, window_start",
        )
        .bind(subject)
        .bind(now)
        .bind(now - window_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(AttemptCount {
            attempts: row.try_get("attempts")?,
            window_start: row.try_get("window_start")?,
        })
    }

    /// Takes one counted attempt back (it turned out to be a correct password).
    pub async fn uncount_login_attempt(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_attempts SET attempts = attempts - 1 WHERE subject = $1 AND attempts > 0",
        )
        .bind(subject)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets every attempt of `subject`.
    pub async fn forget_login_attempts(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_attempts WHERE subject = $1")
            .bind(subject)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes the subjects whose window started at or before `before`.
    pub async fn delete_old_login_attempts(&self, before: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM login_attempts WHERE window_start <= $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
