import { href } from '../router.js';
import { PageHeader } from '../components/ui.js';

export function NotFoundPage() {
  return (
    <section>
      <PageHeader title="No such page" />
      <p>
        This address is not a page of the UI. Go to the <a href={href([])}>dashboard</a>.
      </p>
    </section>
  );
}
