# Copyright 2024-2026 SURF, GÉANT.
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Create data head.

Revision ID: a4871b2a1a3a
Revises:
Create Date: 2026-11-27T18:47:46.713198

"""

# revision identifiers, used by Alembic.
revision = "a4871b2a1a3a"
down_revision = None
branch_labels = ("data",)
depends_on = "544fd845554d"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
