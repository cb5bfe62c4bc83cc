// Photographs dashboard pages for the browser tests: each at desktop (1280 px) and phone (360 px) width, as
// <dir>/<page>-desktop.png and <page>-phone.png (scripts/screenshots.sh refreshes docs/screenshots/ this way),
// noting the pages that scroll sideways at phone width.
export function photographer(dir) {
  const phoneOverflow = [];
  const shots = [];
  // `from`, a selector, starts the picture at that element (a section far down a page) rather than at the top.
  async function photograph(page, name, from = null) {
    for (const [width, height, suffix] of [[1280, 800, 'desktop'], [360, 740, 'phone']]) {
      await page.setViewport({ width, height });
      // Two frames: what redraws at the new width (the overview's charts) has done so.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (suffix === 'phone' && await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth))
        phoneOverflow.push(name);
      const path = `${dir}/${name}-${suffix}.png`;
      // From the top of the page (or of `from`), up to 1.5 screens.
      const [top, tall] = await page.evaluate((selector) => [
        selector ? Math.max(0, Math.floor(document.querySelector(selector).getBoundingClientRect().top + window.scrollY) - 8) : 0,
        document.documentElement.scrollHeight], from);
      await page.screenshot({ path, type: 'png', captureBeyondViewport: true,
        clip: { x: 0, y: top, width, height: Math.min(tall - top, Math.round(height * 1.5)) } });
      shots.push(`${name}-${suffix}.png`);
    }
    await page.setViewport({ width: 1200, height: 900 });
  }
  return { photograph, phoneOverflow, shots };
}
