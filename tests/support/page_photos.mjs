// Photographs dashboard pages for the browser tests: each at desktop (1280 px) and phone (360 px) width, as
// <dir>/<page>-desktop.png and <page>-phone.png (scripts/screenshots.sh refreshes docs/screenshots/ this way),
// noting the pages that scroll sideways at phone width.
export function photographer(dir) {
  const phoneOverflow = [];
  const shots = [];
  async function photograph(page, name) {
    for (const [width, height, suffix] of [[1280, 800, 'desktop'], [360, 740, 'phone']]) {
      await page.setViewport({ width, height });
      // Two frames: what redraws at the new width (the overview's charts) has done so.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (suffix === 'phone' && await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth))
        phoneOverflow.push(name);
      const path = `${dir}/${name}-${suffix}.png`;
      // The whole page, up to 1.5 screens.
      const tall = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path, type: 'png', captureBeyondViewport: true,
        clip: { x: 0, y: 0, width, height: Math.min(tall, Math.round(height * 1.5)) } });
      shots.push(`${name}-${suffix}.png`);
    }
    await page.setViewport({ width: 1200, height: 900 });
  }
  return { photograph, phoneOverflow, shots };
}
