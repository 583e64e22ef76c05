//! Experts and assistants (one `consumers` table, told apart by kind) and the key choice of each of
//! their slots. Writes happen inside an [`OrgChange`], with their activity event.

use sqlx::FromRow;

use super::change::OrgChange;
use super::{Db, StoreError};
use crate::domain::consumers::{ConsumerKind, Slot};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ConsumerRecord {
    pub id: String,
    pub org_id: String,
    pub kind: ConsumerKind,
    /// The member who created it; their personal keys count for it. `None`: an API token did.
    pub owner_user_id: Option<String>,
    pub name: String,
    pub description: String,
    /// An assistant's expert.
    pub expert_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const CONSUMER_COLUMNS: &str =
    "id, org_id, kind, owner_user_id, name, description, expert_id, created_at, updated_at";

/// One slot in use. `key_id: None` is "Use main key".
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SlotRecord {
    pub consumer_id: String,
    #[sqlx(rename = "modality")]
    pub slot: Slot,
    /// A catalog provider id, or `custom:<name>`.
    pub provider: String,
    pub model: Option<String>,
    pub voice: Option<String>,
    pub key_id: Option<String>,
}

pub(super) const SLOT_COLUMNS: &str = "consumer_id, modality, provider, model, voice, key_id";
/// Slots as people read them: the model, voice input, voice output, images.
pub(super) const SLOT_ORDER: &str =
    "CASE modality WHEN 'chat' THEN 0 WHEN 'stt' THEN 1 WHEN 'tts' THEN 2 ELSE 3 END";

impl Db {
    /// An org's consumers of one kind by name; only `owner`'s when given.
    pub async fn consumers(
        &self,
        org_id: &str,
        kind: ConsumerKind,
        owner: Option<&str>,
    ) -> Result<Vec<ConsumerRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CONSUMER_COLUMNS} FROM consumers WHERE org_id = $1 AND kind = $2 \
             AND ($3 = '' OR owner_user_id = $3) ORDER BY name, created_at, id"
        ))
        .bind(org_id)
        .bind(kind.as_str())
        .bind(owner.unwrap_or_default())
        .fetch_all(self.pool())
        .await?)
    }

    /// Every slot of an org's consumers of one kind (one query for a whole list page).
    pub async fn slots_of_kind(
        &self,
        org_id: &str,
        kind: ConsumerKind,
    ) -> Result<Vec<SlotRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SLOT_COLUMNS} FROM consumer_slots s WHERE s.org_id = $1 AND EXISTS \
             (SELECT 1 FROM consumers c WHERE c.id = s.consumer_id AND c.kind = $2) \
             ORDER BY {SLOT_ORDER}"
        ))
        .bind(org_id)
        .bind(kind.as_str())
        .fetch_all(self.pool())
        .await?)
    }
}

/// A consumer's own fields as written.
#[derive(Debug)]
pub struct ConsumerRow<'a> {
    pub id: &'a str,
    pub kind: ConsumerKind,
    pub owner_user_id: Option<&'a str>,
    pub name: &'a str,
    pub description: &'a str,
    pub expert_id: Option<&'a str>,
}

impl OrgChange<'_> {
    pub async fn insert_consumer(
        &mut self,
        row: &ConsumerRow<'_>,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let org_id = self.org_id().to_owned();
        sqlx::query(
            "INSERT INTO consumers (id, org_id, kind, owner_user_id, name, description, expert_id, \
             created_at, created_by, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9)",
        )
        .bind(row.id)
        .bind(&org_id)
        .bind(row.kind.as_str())
        .bind(row.owner_user_id)
        .bind(row.name)
        .bind(row.description)
        .bind(row.expert_id)
        .bind(now)
        .bind(actor)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Rewrites name, description and expert (the id, kind and owner never change).
    pub async fn update_consumer(
        &mut self,
        row: &ConsumerRow<'_>,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let org_id = self.org_id().to_owned();
        sqlx::query(
            "UPDATE consumers SET name = $1, description = $2, expert_id = $3, updated_at = $4, \
             updated_by = $5 WHERE org_id = $6 AND id = $7",
        )
        .bind(row.name)
        .bind(row.description)
        .bind(row.expert_id)
        .bind(now)
        .bind(actor)
        .bind(&org_id)
        .bind(row.id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Replaces every slot of a consumer with `slots`.
    pub async fn replace_slots(
        &mut self,
        consumer_id: &str,
        slots: &[SlotRecord],
    ) -> Result<(), StoreError> {
        let org_id = self.org_id().to_owned();
        sqlx::query("DELETE FROM consumer_slots WHERE org_id = $1 AND consumer_id = $2")
            .bind(&org_id)
            .bind(consumer_id)
            .execute(self.conn())
            .await?;
        for slot in slots {
            sqlx::query(
                "INSERT INTO consumer_slots (org_id, consumer_id, modality, provider, model, voice, \
                 key_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&org_id)
            .bind(consumer_id)
            .bind(slot.slot.as_str())
            .bind(&slot.provider)
            .bind(slot.model.as_deref())
            .bind(slot.voice.as_deref())
            .bind(slot.key_id.as_deref())
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Deletes a consumer with its slots; assistants built on it (if an expert) keep going on their
    /// own.
    pub async fn delete_consumer(&mut self, consumer_id: &str) -> Result<bool, StoreError> {
        let org_id = self.org_id().to_owned();
        sqlx::query("UPDATE consumers SET expert_id = NULL WHERE org_id = $1 AND expert_id = $2")
            .bind(&org_id)
            .bind(consumer_id)
            .execute(self.conn())
            .await?;
        let done = sqlx::query("DELETE FROM consumers WHERE org_id = $1 AND id = $2")
            .bind(&org_id)
            .bind(consumer_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
