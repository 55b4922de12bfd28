import { InOrder } from './in-order';

describe('InOrder', () => {
  it('hands items on in the order added, each once every earlier one has finished', () => {
    const released: string[] = [];
    const inOrder = new InOrder<string>((item) => released.push(item));
    const [a, b, c] = ['a', 'b', 'c'].map((item) => inOrder.add(item));

    c();
    b();
    expect(released).toEqual([]);
    a();
    expect(released).toEqual(['a', 'b', 'c']);
  });

  it('holds back every item after one that never finishes', () => {
    const released: number[] = [];
    const inOrder = new InOrder<number>((item) => released.push(item));
    const finish = [1, 2, 3].map((item) => inOrder.add(item));

    finish[0]();
    finish[2]();
    expect(released).toEqual([1]);
  });
});
