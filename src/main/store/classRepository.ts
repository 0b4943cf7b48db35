// The project's defect classes: names, colours and the id each one's pixels hold in an indexed mask. Imports and
// labels add classes by name; the user renames, recolours and merges them.
import { defectClassSchema } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import { MAX_CLASS_ID, paletteColor, type DefectClass } from '../../shared/labels.js';
import type { Catalog } from './catalog.js';

export class ClassRepository {
  constructor(private readonly db: Catalog) {}

  list(): DefectClass[] {
    return this.db
      .prepare(
        `SELECT c.id, c.name, c.color,
                (SELECT count(*) FROM images i WHERE i.defect_class = c.name
                   OR (i.class_mask_sha256 IS NOT NULL AND EXISTS (
                     SELECT 1 FROM class_masks m, json_each(m.areas) a WHERE m.sha256 = i.class_mask_sha256 AND a.key = CAST(c.id AS TEXT)))) AS images
         FROM defect_classes c ORDER BY c.id`,
      )
      .all() as DefectClass[];
  }

  byName(name: string): DefectClass | undefined {
    return this.list().find((c) => c.name === name);
  }

  byId(id: number): DefectClass | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** The id of the class with this name, creating it (with the next palette colour) when it is new. */
  ensure(name: string): number {
    const existing = this.db.prepare('SELECT id FROM defect_classes WHERE name = ?').pluck().get(name) as number | undefined;
    if (existing !== undefined) return existing;
    return this.create(name).id;
  }

  create(name: string, color?: string): DefectClass {
    const parsed = defectClassSchema.parse(name);
    if (this.db.prepare('SELECT 1 FROM defect_classes WHERE name = ?').get(parsed)) {
      throw new InputError('class-exists', `there is already a defect class named "${parsed}"`);
    }
    const id = ((this.db.prepare('SELECT max(id) FROM defect_classes').pluck().get() as number | null) ?? 0) + 1;
    const free = id <= MAX_CLASS_ID ? id : this.firstFreeId();
    this.db
      .prepare('INSERT INTO defect_classes (id, name, color, created_at) VALUES (?, ?, ?, ?)')
      .run(free, parsed, color ?? paletteColor(free), new Date().toISOString());
    return { id: free, name: parsed, color: color ?? paletteColor(free), images: 0 };
  }

  /** Renames a class; images and history that name it follow, so filters and exports keep working. */
  rename(id: number, name: string): void {
    const parsed = defectClassSchema.parse(name);
    const current = this.require(id);
    if (current.name === parsed) return;
    if (this.db.prepare('SELECT 1 FROM defect_classes WHERE name = ?').get(parsed)) {
      throw new InputError('class-exists', `there is already a defect class named "${parsed}"; merge the two instead`);
    }
    this.db.transaction(() => {
      this.db.prepare('UPDATE defect_classes SET name = ? WHERE id = ?').run(parsed, id);
      this.db.prepare('UPDATE images SET defect_class = ? WHERE defect_class = ?').run(parsed, current.name);
    }).immediate();
  }

  recolor(id: number, color: string): void {
    this.require(id);
    this.db.prepare('UPDATE defect_classes SET color = ? WHERE id = ?').run(color.toLowerCase(), id);
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM defect_classes WHERE id = ?').run(id);
  }

  require(id: number): DefectClass {
    const found = this.db.prepare('SELECT id, name, color, 0 AS images FROM defect_classes WHERE id = ?').get(id) as DefectClass | undefined;
    if (!found) throw new InputError('class-not-found', `there is no defect class with id ${id} in this project`);
    return found;
  }

  private firstFreeId(): number {
    const used = new Set(this.db.prepare('SELECT id FROM defect_classes').pluck().all() as number[]);
    for (let id = 1; id <= MAX_CLASS_ID; id++) if (!used.has(id)) return id;
    throw new InputError('too-many-classes', `a project holds at most ${MAX_CLASS_ID} defect classes; merge some first`);
  }
}
